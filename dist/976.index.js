export const id = 976;
export const ids = [976];
export const modules = {

/***/ 53976:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  watchRulesFile: () => (/* binding */ watchRulesFile)
});

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: ./src/errors.ts
var errors = __webpack_require__(83916);
// EXTERNAL MODULE: ./src/failure-notices.ts
var failure_notices = __webpack_require__(73957);
// EXTERNAL MODULE: ./src/notify/summary.ts
var notify_summary = __webpack_require__(94121);
// EXTERNAL MODULE: ./src/outputs.ts
var outputs = __webpack_require__(7729);
;// CONCATENATED MODULE: ./src/rules/rule-log.ts
class RuleLog {
    outer;
    rule;
    lines = [];
    failures = [];
    constructor(outer, rule) {
        this.outer = outer;
        this.rule = rule;
    }
    info = (line) => {
        this.lines.push(line);
    };
    warning = (line, annotation) => {
        this.lines.push(`Warning: ${line}`);
        const title = `${annotation?.title ?? 'insights-watch'} (rule ${this.rule})`;
        this.outer.warning(`Rule "${this.rule}": ${line}`, { ...annotation, title });
    };
    group = (name, fn) => {
        this.lines.push(`▸ ${name}`);
        return fn();
    };
    setFailed = (message) => {
        this.failures.push(message);
    };
    setOutput = () => { };
    get summary() {
        return this.outer.summary;
    }
    getInput = (name) => this.outer.getInput(name);
    setSecret = (value) => this.outer.setSecret(value);
    getIDToken = (audience) => this.outer.getIDToken(audience);
    /** Prints the rule's lines as one group titled `title`. */
    async flush(title) {
        const lines = this.lines.splice(0);
        await this.outer.group(title, async () => {
            for (const line of lines)
                this.outer.info(line);
        });
    }
}

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(76760);
// EXTERNAL MODULE: ./src/settings.ts + 1 modules
var src_settings = __webpack_require__(8287);
// EXTERNAL MODULE: ./src/state/open.ts + 2 modules
var state_open = __webpack_require__(14865);
;// CONCATENATED MODULE: ./src/rules/rule-schema.ts
/** Every input a rule (or the rules file's `defaults`) may set, and how its value is written. */
const RULE_INPUTS = {
    'log-group-names': 'list',
    'log-group-prefixes': 'list',
    'source-accounts': 'list',
    query: 'text',
    'query-language': 'text',
    interval: 'text',
    'query-delay': 'text',
    overlap: 'text',
    'max-catch-up': 'text',
    'query-timeout': 'text',
    'max-results': 'integer',
    'slack-channel': 'list',
    'reopen-within': 'text',
    'github-issue': 'boolean',
    'status-field': 'text',
    'group-by': 'list',
    'max-samples': 'integer',
    thresholds: 'thresholds',
    'rate-thresholds': 'rate-thresholds',
    'min-requests': 'integer',
    baseline: 'text',
    mention: 'text',
    realert: 'text',
    'resolve-after': 'text',
    'new-signatures': 'boolean',
    'signature-fields': 'list',
    'signature-memory': 'text',
    'new-signature-threshold': 'integer',
    'notify-resolved': 'boolean',
    'notify-on-error': 'boolean',
    'fail-on-match': 'boolean',
};
/** Webhook URLs are secrets and the rules file is committed: a rule names the env variables holding them. */
const WEBHOOK_SECRETS_KEY = 'slack-webhook-secrets';
/** One step runs at most this many rules; past it, a second job (a matrix) keeps each run short. */
const MAX_RULES = 200;
const SEVERITY_KEYS = ['5xx', '4xx', 'other', 'total'];
function valueSchema(kind) {
    switch (kind) {
        case 'list':
            return {
                anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }],
            };
        case 'text':
            return { type: 'string' };
        case 'boolean':
            return { type: 'boolean' };
        case 'integer':
            return { type: 'integer', minimum: 0 };
        case 'thresholds':
            return {
                anyOf: [
                    { type: 'string' },
                    { type: 'integer', minimum: 1 },
                    severityMap({ type: 'integer', minimum: 1 }),
                ],
            };
        case 'rate-thresholds':
            return {
                anyOf: [
                    { type: 'string' },
                    severityMap({ anyOf: [{ type: 'number', exclusiveMinimum: 0, maximum: 100 }, { type: 'string' }] }),
                ],
            };
    }
}
function severityMap(value) {
    return {
        type: 'object',
        properties: Object.fromEntries(SEVERITY_KEYS.map((key) => [key, value])),
        additionalProperties: false,
        minProperties: 1,
    };
}
/** The schema; `describe` adds each input's description (action.yml's) for editors. */
function rulesSchema(describe = () => undefined) {
    const settings = Object.fromEntries(Object.entries(RULE_INPUTS).map(([input, kind]) => {
        const description = describe(input);
        return [input, { ...valueSchema(kind), ...(description ? { description } : {}) }];
    }));
    settings[WEBHOOK_SECRETS_KEY] = {
        description: "Names of environment variables that hold this rule's Slack incoming-webhook URLs (pass each secret to the step's `env:`). Replaces the action's `slack-webhook-url` for the rule.",
        anyOf: [
            { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
            { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, minItems: 1 },
        ],
    };
    return {
        $schema: 'http://json-schema.org/draft-07/schema#',
        $id: 'https://github.com/insights-watch/insights-watch/schema/insights-watch-rules.schema.json',
        title: 'insights-watch rules file',
        description: 'Monitors that one insights-watch step runs together. Every key of a rule is the action input of the same name. A rule takes its own value, else the one in `defaults`, else the input given to the action, else the default of that input.',
        type: 'object',
        properties: {
            defaults: {
                description: 'Settings every rule inherits unless it sets its own.',
                type: 'object',
                properties: settings,
                additionalProperties: false,
            },
            rules: {
                description: 'The monitors: each has its own checkpoint, alerts, incident and Slack message.',
                type: 'array',
                minItems: 1,
                maxItems: MAX_RULES,
                items: {
                    type: 'object',
                    properties: {
                        name: {
                            description: 'The monitor name: shown in Slack and the summary, and the key of its checkpoint (renaming a rule starts it afresh). Unique in the file.',
                            type: 'string',
                            minLength: 1,
                            maxLength: 100,
                        },
                        ...settings,
                    },
                    required: ['name'],
                    additionalProperties: false,
                },
            },
        },
        required: ['rules'],
        additionalProperties: false,
    };
}

// EXTERNAL MODULE: ./node_modules/@cfworker/json-schema/dist/esm/validator.js + 6 modules
var validator = __webpack_require__(60207);
// EXTERNAL MODULE: ./node_modules/yaml/dist/index.js
var dist = __webpack_require__(38815);
// EXTERNAL MODULE: ./src/inputs.ts
var inputs = __webpack_require__(16041);
;// CONCATENATED MODULE: ./src/rules/rules-file.ts
/**
 * The rules file (`rules` input): read, parsed as YAML, validated against the schema (rule-schema.ts),
 * every value turned into the text its input would have, and where each value was written kept, so
 * that any error (here, or from settings.ts later) names the file, the line and the rule. All of it
 * before any network call.
 */







/** A fault in the rules file: the message names the file, the line and the rule. */
class RulesFileError extends errors/* SettingsError */.G {
    constructor(file, line, rule, detail) {
        super('rules', `${file}${line ? `:${line}` : ''}: ${rule ? `${rule}: ` : ''}${detail}`);
        this.name = 'RulesFileError';
    }
}
/** Reads the file the `rules` input names, relative to the workspace (the checked-out repository). */
function readRulesFile(path, env) {
    const full = (0,external_node_path_.isAbsolute)(path) ? path : (0,external_node_path_.resolve)(env.GITHUB_WORKSPACE || process.cwd(), path);
    let text;
    try {
        text = (0,external_node_fs_.readFileSync)(full, 'utf8');
    }
    catch (error) {
        throw new errors/* SettingsError */.G('rules', `could not read ${path} (${(0,errors/* errorMessage */.g)(error)}): give the path of the rules file relative to the repository root, and check the repository out first (actions/checkout).`);
    }
    return parseRules(text, path);
}
const rules_file_validator = new validator/* Validator */.D(rulesSchema(), '7', false);
function parseRules(text, file) {
    const lines = new dist/* LineCounter */.HN();
    // `<<` merge keys let rules share a block of settings beside `defaults`.
    const doc = (0,dist/* parseDocument */.Tp)(text, { lineCounter: lines, uniqueKeys: true, merge: true });
    const lineAt = (offset) => lines.linePos(offset).line;
    const ruleItems = () => {
        const rules = (0,dist/* isMap */.jh)(doc.contents) ? doc.contents.get('rules', true) : undefined;
        return (0,dist/* isSeq */.oP)(rules) ? rules.items : [];
    };
    const syntax = doc.errors[0];
    if (syntax) {
        const offset = syntax.pos[0];
        const index = ruleItems().findIndex((item) => item.range && item.range[0] <= offset && offset <= item.range[2]);
        const rule = index >= 0 ? describeRule(ruleItems()[index], index) : undefined;
        throw new RulesFileError(file, lineAt(offset), rule, `not valid YAML: ${firstLine(syntax.message)}`);
    }
    const data = doc.toJS({ maxAliasCount: 100 });
    const result = rules_file_validator.validate(data);
    if (!result.valid) {
        const error = mostSpecific(result.errors);
        const path = error.instanceLocation
            .replace(/^#\/?/, '')
            .split('/')
            .filter((part) => part !== '')
            .map((part) => decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~')));
        const place = locate(doc.contents, path, error.keyword === 'false');
        const index = path[0] === 'rules' && path[1] !== undefined ? Number(path[1]) : undefined;
        const rule = index === undefined ? undefined : describeRule(ruleItems()[index], index);
        throw new RulesFileError(file, place ? lineAt(place) : 1, rule, explain(error, path));
    }
    const parsed = data;
    const contents = doc.contents;
    const defaultsNode = contents.get('defaults', true);
    const defaults = placedValues(parsed.defaults ?? {}, defaultsNode, lineAt);
    const seen = new Map();
    const rules = ruleItems().map((item, index) => {
        const map = item;
        const values = placedValues(parsed.rules[index] ?? {}, map, lineAt);
        const name = values.get('name').text;
        values.delete('name');
        const line = lineAt(map.range?.[0] ?? 0);
        const earlier = seen.get(name);
        if (earlier !== undefined) {
            throw new RulesFileError(file, line, describeRule(item, index), `the name is already used by the rule on line ${earlier}; each rule needs a name of its own (it keys the rule's checkpoint).`);
        }
        seen.set(name, line);
        return { name, index, line, values };
    });
    return { file, defaults, rules };
}
/** `rule "payments" (rules[3])`, or `rules[3]` for a rule without a usable name. */
function describeRule(item, index) {
    const name = (0,dist/* isMap */.jh)(item) ? item.get('name') : undefined;
    return typeof name === 'string' && name !== '' ? `rule "${name}"` : `rule ${index + 1} (no name)`;
}
/** The parser's message without its own position (the error already names the line). */
function firstLine(text) {
    return (text.split('\n')[0] ?? text).replace(/ at line \d+, column \d+:?$/, '').trim();
}
/** The error deepest in the document; among those, one about the value itself rather than `anyOf`. */
function mostSpecific(errors) {
    const depth = (error) => error.instanceLocation.split('/').length;
    const deepest = Math.max(...errors.map(depth));
    const candidates = errors.filter((error) => depth(error) === deepest);
    return (candidates.find((error) => error.keyword !== 'anyOf' && error.keyword !== 'properties') ??
        candidates[0]);
}
/** The offset of the node at `path` (of its key, when `key`), or of the nearest node above it. */
function locate(node, path, key) {
    let current = node;
    let offset = current?.range?.[0];
    for (const [i, part] of path.entries()) {
        if ((0,dist/* isMap */.jh)(current)) {
            const pair = current.items.find((item) => (0,dist/* isScalar */.jn)(item.key) && String(item.key.value) === part);
            if (!pair)
                return offset;
            const keyNode = pair.key;
            if (key && i === path.length - 1)
                return keyNode.range?.[0] ?? offset;
            current = pair.value;
            offset = current?.range?.[0] ?? keyNode.range?.[0] ?? offset;
        }
        else if ((0,dist/* isSeq */.oP)(current)) {
            current = current.items[Number(part)];
            offset = current?.range?.[0] ?? offset;
        }
        else {
            return offset;
        }
    }
    return offset;
}
/** The schema's finding in words that say what to write instead. */
function explain(error, path) {
    const key = path[path.length - 1] ?? '';
    // `rate-thresholds.5xx` inside a rule or defaults; the top-level key itself otherwise.
    const inner = path[0] === 'rules' ? path.slice(2) : path.slice(1);
    const where = path.length === 0 ? 'the file' : inner.length > 0 ? inner.join('.') : key;
    switch (error.keyword) {
        case 'false':
            return unknownKey(key, path.length <= 1);
        case 'required': {
            const missing = /"([^"]+)"/.exec(error.error)?.[1] ?? '';
            return missing === 'name'
                ? "has no name: give every rule a `name:` (unique; it keys the rule's checkpoint)."
                : `has no \`${missing}:\`; a rules file is a map with \`rules:\` (a list of rules) and, optionally, \`defaults:\`.`;
        }
        case 'minItems':
            return `${where} is empty: give at least one.`;
        case 'maxItems':
            return `${where} has too many items (${error.error}); split the rules over jobs (a matrix).`;
        default:
            return `${where}: ${expected(path)} (${error.error.replace(/\.$/, '')}).`;
    }
}
function expected(path) {
    const key = path.find((part) => part in RULE_INPUTS || part === WEBHOOK_SECRETS_KEY || part === 'name');
    if (key === 'name')
        return 'expected the rule name as text';
    if (key === WEBHOOK_SECRETS_KEY)
        return 'expected names of environment variables (like SLACK_PAYMENTS_WEBHOOK), one or a list';
    const kind = key ? RULE_INPUTS[key] : undefined;
    switch (kind) {
        case 'list':
            return 'expected text or a list of text';
        case 'boolean':
            return 'expected true or false';
        case 'integer':
            return 'expected a whole number';
        case 'thresholds':
            return 'expected like `5xx=1, 4xx=50`, a whole number, or a map like `{5xx: 1, 4xx: 50}` (keys 5xx, 4xx, other, total; whole numbers)';
        case 'rate-thresholds':
            return 'expected like `5xx=1%`, or a map like `{5xx: 1%}` (keys 5xx, 4xx, other, total)';
        default:
            return 'expected text';
    }
}
function unknownKey(key, topLevel) {
    if (topLevel)
        return `"${key}" is not a key of a rules file: it has \`rules:\` (a list of rules) and, optionally, \`defaults:\`.`;
    if (key === 'slack-webhook-url')
        return `"slack-webhook-url" cannot be in the file: webhook URLs are secrets. Pass each to the step's env: and name the variable in ${WEBHOOK_SECRETS_KEY}.`;
    if (key in inputs/* INPUTS */.m)
        return `"${key}" applies to the whole step, not to one rule: give it as an input of the action (with:).`;
    return `"${key}" is not a rule setting; a rule's keys are name, ${WEBHOOK_SECRETS_KEY} and the action's inputs it may set (see schema/insights-watch-rules.schema.json).`;
}
/**
 * A map's keys with their values as input text (from the parsed data, so aliases and merge keys are
 * resolved), each with the line of its key, or of the map for a key that came in by a merge.
 */
function placedValues(data, node, lineAt) {
    const values = new Map();
    for (const [key, value] of Object.entries(data)) {
        const offset = locate(node, [key], true) ?? node?.range?.[0] ?? 0;
        values.set(key, { text: inputText(key, value), line: lineAt(offset) });
    }
    return values;
}
/** A YAML value as the text its input would have in a workflow's `with:`. */
function inputText(key, value) {
    if (Array.isArray(value))
        return value.map(String).join('\n');
    if (value !== null && typeof value === 'object') {
        const rate = key === 'rate-thresholds';
        return Object.entries(value)
            .map(([severity, amount]) => {
            const text = String(amount).trim();
            return `${severity}=${rate && !text.endsWith('%') ? `${text}%` : text}`;
        })
            .join(', ');
    }
    return String(value);
}

;// CONCATENATED MODULE: ./src/rules/rule-settings.ts
/**
 * Each rule of the rules file as the `Settings` of one monitor: its own keys first, then the file's
 * `defaults`, then the action's inputs, read and validated by the same readSettings as a single
 * monitor, so a rule accepts and refuses exactly what the inputs do. An error names the file, the
 * line where the bad value was written (the rule's, the defaults', or the rule's first line for an
 * inherited input) and the rule.
 */






function settingsOfRules(doc, sources) {
    return doc.rules.map((rule) => settingsOfRule(doc, rule, sources));
}
function settingsOfRule(doc, rule, sources) {
    const placed = (key) => {
        const own = rule.values.get(key);
        if (own)
            return { ...own, inDefaults: false };
        const inherited = doc.defaults.get(key);
        return inherited ? { ...inherited, inDefaults: true } : undefined;
    };
    const fail = (key, detail) => {
        const at = placed(key);
        const where = at?.inDefaults
            ? ` (set in defaults)`
            : at
                ? ''
                : ` (the action's input ${key}, which it inherits)`;
        throw new RulesFileError(doc.file, at?.line ?? rule.line, `rule "${rule.name}"${where}`, detail);
    };
    const webhooks = placed(WEBHOOK_SECRETS_KEY);
    const webhookUrls = webhooks
        ? (0,src_settings/* parseList */.E1)(webhooks.text).map((name) => {
            const url = sources.env[name]?.trim();
            if (!url) {
                fail(WEBHOOK_SECRETS_KEY, `${WEBHOOK_SECRETS_KEY} names ${name}, which is not set in the step's environment: add \`env: ${name}: \${{ secrets.${name} }}\` to the step.`);
            }
            return url;
        })
        : undefined;
    const getInput = (name) => {
        if (name === 'monitor-name')
            return rule.name;
        if (name === 'slack-webhook-url' && webhookUrls)
            return webhookUrls.join('\n');
        return placed(name)?.text ?? sources.getInput(name);
    };
    let settings;
    try {
        settings = (0,src_settings/* readSettings */.sb)({ ...sources, getInput });
    }
    catch (error) {
        if (!(error instanceof errors/* SettingsError */.G))
            throw error;
        const key = error.input === 'slack-webhook-url' && webhooks ? WEBHOOK_SECRETS_KEY : error.input;
        // `Input "thresholds": …` → `thresholds: …`: in a rules file the input is a key.
        return fail(key, error.message.replace(/^Input "([^"]+)": /, '$1: '));
    }
    settings.ruleKey = (0,state_open/* monitorKey */._)(rule.name);
    if (settings.state.kind === 'file')
        settings.state = { kind: 'file', path: ruleStatePath(settings.state.path, rule.name) };
    return settings;
}
/** `state: file:.state/watch.json` → `.state/watch.<rule>-<hash>.json`: one file (and lock) per rule. */
function ruleStatePath(path, name) {
    const extension = (0,external_node_path_.extname)(path);
    return `${path.slice(0, path.length - extension.length)}.${(0,state_open/* monitorKey */._)(name)}${extension}`;
}

// EXTERNAL MODULE: ./src/state/session.ts + 2 modules
var state_session = __webpack_require__(52679);
// EXTERNAL MODULE: ./src/steps/backtest.ts + 4 modules
var backtest = __webpack_require__(80192);
// EXTERNAL MODULE: ./src/steps/credentials-and-checkpoint.ts + 1 modules
var credentials_and_checkpoint = __webpack_require__(93622);
// EXTERNAL MODULE: ./src/steps/logs-connection.ts
var logs_connection = __webpack_require__(87813);
// EXTERNAL MODULE: ./src/steps/monitor.ts + 5 modules
var monitor = __webpack_require__(7842);
// EXTERNAL MODULE: ./src/steps/notify.ts + 3 modules
var notify = __webpack_require__(91704);
// EXTERNAL MODULE: ./src/steps/publish.ts
var publish = __webpack_require__(91360);
;// CONCATENATED MODULE: ./src/steps/rules.ts
/**
 * Every rule of a rules file in one step: the credentials and the CloudWatch Logs connection made
 * once, then each rule as a monitor of its own (its checkpoint, alert memory, incident and Slack
 * message; steps/monitor.ts), all side by side, their queries under one concurrency cap and one set
 * of request-rate limits. A rule that fails does not stop the others: they are reported and their
 * checkpoints saved, and the step fails at the end naming it. Then one job summary (an overview
 * table, a section per rule) and the step's outputs, the rules' together.
 */















/**
 * Queries running at once across all rules: the account allows 100 concurrent Insights queries,
 * shared with dashboards, scheduled queries and people (StartQuery API doc); a step of many rules
 * takes a tenth of them.
 */
const RULES_QUERY_CONCURRENCY = 10;
/** GitHub's 1 MiB step summary, less room for the overview table and a closing note. */
const RULE_SECTIONS_BYTES = 1024 * 1024 - 128 * 1024;
/** The rules file read and every rule checked (before any network call), then the rules watched. */
async function watchRulesFile(file, sources, deps) {
    const rules = settingsOfRules(readRulesFile(file, deps.env), sources);
    // `backtest` is step-wide: every rule replays its past instead of watching.
    if (rules[0].backtestSeconds !== undefined)
        return (0,backtest/* backtestMonitors */.tc)(file, rules, deps, RULES_QUERY_CONCURRENCY);
    await watchRules(file, rules, deps);
}
async function watchRules(file, rules, deps) {
    const { runner } = deps;
    // Region, role, state backend and dry-run are step-wide (a rule cannot set them): the same in each.
    const stepWide = rules[0];
    runner.info(`${rules.length} rules from ${file}: ${rules.map((rule) => rule.monitorName).join(', ')}.`);
    let runs;
    try {
        const credentials = await (0,credentials_and_checkpoint/* credentialsOnly */.Hq)(stepWide, deps);
        const logs = await (0,logs_connection/* connectToLogs */.h)(stepWide, credentials, deps, RULES_QUERY_CONCURRENCY);
        runner.info(`Running the ${rules.length} rules side by side, up to ${RULES_QUERY_CONCURRENCY} queries at once.`);
        let done = 0;
        runs = await Promise.all(rules.map(async (settings) => {
            const run = await watchRule(settings, logs, deps);
            done += 1;
            await run.log.flush(`Rule ${done}/${rules.length} "${settings.monitorName}": ${outcomeOf(run)}`);
            return run;
        })).finally(() => logs.client.destroy());
    }
    catch (error) {
        // Nothing ran (no credentials, no connection): recorded once, on the first rule, rather than
        // the same failure posted once per rule to what may be one channel.
        const session = new state_session/* StateSession */.i(stepWide, deps);
        try {
            if (!deps.signal?.aborted)
                await (0,failure_notices/* recordFailure */.C5)(stepWide, (0,errors/* errorMessage */.g)(error), deps, session);
        }
        finally {
            await session.release();
        }
        throw error;
    }
    await publishRules(file, runs, deps);
    const failed = runs.filter((run) => run.failure !== undefined);
    if (failed.length > 0) {
        runner.setFailed(`${failed.length} of ${runs.length} rules failed (the others were reported and saved): ${failed
            .map((run) => `rule "${run.settings.monitorName}": ${run.failure}`)
            .join('; ')}`);
    }
}
/** One rule, start to end, never thrown: a failure is recorded (failure notice) and returned. */
async function watchRule(settings, logs, deps) {
    const log = new RuleLog(deps.runner, settings.monitorName);
    const ruleDeps = { ...deps, runner: log };
    const session = new state_session/* StateSession */.i(settings, ruleDeps);
    const run = { settings, log };
    try {
        const read = await (0,credentials_and_checkpoint/* loadCheckpoint */.xR)(session, ruleDeps);
        run.checked = await (0,monitor/* checkWindow */.p)(settings, read, logs, ruleDeps);
        run.told = await (0,monitor/* tellAndSave */.M)(settings, run.checked, () => logs.clock.now(), ruleDeps, session);
        const { report, outcome, decision } = run.checked;
        (0,publish/* settleOutcome */.m1)(report, { outcome, decision, ...run.told }, settings, log);
        // fail-on-match fails the step without throwing.
        if (log.failures.length > 0)
            run.failure = log.failures.join(' ');
    }
    catch (error) {
        run.failure = (0,errors/* errorMessage */.g)(error);
        log.info(`Failed: ${run.failure}`);
        if (!deps.signal?.aborted && !(error instanceof notify/* SlackDeliveryError */.l))
            await (0,failure_notices/* recordFailure */.C5)(settings, run.failure, ruleDeps, session).catch((recordError) => log.info(`Could not record the failure: ${(0,errors/* errorMessage */.g)(recordError)}`));
    }
    finally {
        await session.release();
    }
    return run;
}
const DECISION_WORDS = {
    alert: 'alerted',
    quiet: 'matches inside the quiet period (realert)',
    clearing: 'clearing',
    'below-threshold': 'below the thresholds',
    resolved: 'resolved',
    none: 'nothing found',
};
function outcomeOf(run) {
    if (run.failure !== undefined)
        return `failed: ${run.failure}`;
    const decision = run.checked ? DECISION_WORDS[run.checked.decision.kind] : 'not checked';
    return run.told?.delivery.notified ? `${decision}, Slack told` : decision;
}
/** The overview table, each rule's section (in the file's order), and the outputs. */
async function publishRules(file, runs, deps) {
    const { summary } = deps.runner;
    const overview = runs.map((run) => {
        const report = run.checked?.report;
        return {
            name: run.settings.monitorName,
            outcome: outcomeOf(run),
            ...(report
                ? { window: report.window, matches: report.digest.total, critical: report.digest.critical }
                : {}),
        };
    });
    (0,notify_summary/* addRulesOverview */.Yh)(file, overview, summary);
    const share = Math.floor(RULE_SECTIONS_BYTES / runs.length);
    for (const run of runs) {
        if (run.checked && run.told)
            (0,publish/* addRunSummary */.BR)(run.checked.report, { outcome: run.checked.outcome, ...run.told }, summary, share);
        if (run.failure !== undefined)
            (0,notify_summary/* addRuleFailure */._g)(run.settings.monitorName, run.failure, !(run.checked && run.told), summary);
    }
    await summary.write();
    for (const [name, value] of Object.entries(stepOutputsOfRules(runs, deps.env)))
        deps.runner.setOutput(name, value);
}
/** The step's outputs for all rules: counts added up, the widest window, every query, one results file. */
function stepOutputsOfRules(runs, env) {
    const each = runs.flatMap((run) => run.checked && run.told
        ? [(0,publish/* runOutputs */.MR)(run.checked.report, { outcome: run.checked.outcome, ...run.told })]
        : []);
    const sum = (name) => String(each.reduce((total, outputs) => total + Number(outputs[name]), 0));
    const starts = each.map((outputs) => outputs['window-start']).sort();
    const ends = each.map((outputs) => outputs['window-end']).sort();
    return {
        'match-count': sum('match-count'),
        'critical-count': sum('critical-count'),
        'window-start': starts[0] ?? '',
        'window-end': ends[ends.length - 1] ?? '',
        'query-ids': each
            .map((outputs) => outputs['query-ids'])
            .filter((ids) => ids !== '')
            .join(','),
        notified: String(each.some((outputs) => outputs.notified === 'true')),
        truncated: String(each.some((outputs) => outputs.truncated === 'true')),
        'incident-id': '',
        'incident-state': 'none',
        'slack-ts': '',
        'issue-number': '',
        'results-file': joinResultsFiles(runs, env),
        'alerting-rules': JSON.stringify(runs.filter((run) => run.checked?.decision.kind === 'alert').map((run) => run.settings.monitorName)),
        'failed-rules': JSON.stringify(runs.filter((run) => run.failure !== undefined).map((run) => run.settings.monitorName)),
    };
}
/** One JSON-lines file of every rule's new entries, each line with its `rule`. */
function joinResultsFiles(runs, env) {
    const path = (0,outputs/* resultsFilePath */.Yh)(env);
    const fd = (0,external_node_fs_.openSync)(path, 'w');
    try {
        for (const run of runs) {
            if (!run.checked)
                continue;
            const rule = JSON.stringify(run.settings.monitorName);
            for (const line of (0,external_node_fs_.readFileSync)(run.checked.outcome.resultsFile, 'utf8').split('\n')) {
                if (line.startsWith('{'))
                    (0,external_node_fs_.writeSync)(fd, `{"rule":${rule},${line.slice(1)}\n`);
            }
        }
    }
    finally {
        (0,external_node_fs_.closeSync)(fd);
    }
    return path;
}


/***/ })

};
