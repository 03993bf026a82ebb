/**
 * What a rules file (the `rules` input) may say, as a JSON Schema: the one definition the action
 * validates against (rules-file.ts) and editors complete from. `schema/insights-watch-rules.schema.json`
 * is this schema with action.yml's descriptions added (`npm run schema:rules` writes it; a test holds
 * the two together).
 *
 * A rule's keys are the action's own input names, so a rule reads like the `with:` of a workflow, and
 * an input given to the action is the default every rule inherits. Inputs that belong to the whole
 * step (the AWS role and region, the state backend, tokens, dry-run) are not rule keys: one step has
 * one of each.
 */
import type { InputName } from '../inputs.js'

/** How a rule key's value may be written in YAML; each becomes the input's text (rule-settings.ts). */
type ValueKind =
  /** Text, or a list of text (joined one per line, as a multi-line input). */
  | 'list'
  | 'text'
  | 'boolean'
  | 'integer'
  /** `5xx=1, 4xx=50`, a whole number, or a map like `{ 5xx: 1, 4xx: 50 }`. */
  | 'thresholds'
  /** `5xx=1%`, or a map like `{ 5xx: 1% }` (a bare number is a percentage). */
  | 'rate-thresholds'

/** Every input a rule (or the rules file's `defaults`) may set, and how its value is written. */
export const RULE_INPUTS = {
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
} as const satisfies Partial<Record<InputName, ValueKind>>

/** Webhook URLs are secrets and the rules file is committed: a rule names the env variables holding them. */
export const WEBHOOK_SECRETS_KEY = 'slack-webhook-secrets'

/** One step runs at most this many rules; past it, a second job (a matrix) keeps each run short. */
const MAX_RULES = 200

const SEVERITY_KEYS = ['5xx', '4xx', 'other', 'total']

function valueSchema(kind: ValueKind): Record<string, unknown> {
  switch (kind) {
    case 'list':
      return {
        anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 }],
      }
    case 'text':
      return { type: 'string' }
    case 'boolean':
      return { type: 'boolean' }
    case 'integer':
      return { type: 'integer', minimum: 0 }
    case 'thresholds':
      return {
        anyOf: [
          { type: 'string' },
          { type: 'integer', minimum: 1 },
          severityMap({ type: 'integer', minimum: 1 }),
        ],
      }
    case 'rate-thresholds':
      return {
        anyOf: [
          { type: 'string' },
          severityMap({ anyOf: [{ type: 'number', exclusiveMinimum: 0, maximum: 100 }, { type: 'string' }] }),
        ],
      }
  }
}

function severityMap(value: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    properties: Object.fromEntries(SEVERITY_KEYS.map((key) => [key, value])),
    additionalProperties: false,
    minProperties: 1,
  }
}

/** The schema; `describe` adds each input's description (action.yml's) for editors. */
export function rulesSchema(describe: (input: string) => string | undefined = () => undefined) {
  const settings: Record<string, Record<string, unknown>> = Object.fromEntries(
    Object.entries(RULE_INPUTS).map(([input, kind]) => {
      const description = describe(input)
      return [input, { ...valueSchema(kind), ...(description ? { description } : {}) }]
    }),
  )
  settings[WEBHOOK_SECRETS_KEY] = {
    description:
      "Names of environment variables that hold this rule's Slack incoming-webhook URLs (pass each secret to the step's `env:`). Replaces the action's `slack-webhook-url` for the rule.",
    anyOf: [
      { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      { type: 'array', items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, minItems: 1 },
    ],
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://github.com/insights-watch/insights-watch/schema/insights-watch-rules.schema.json',
    title: 'insights-watch rules file',
    description:
      'Monitors that one insights-watch step runs together. Every key of a rule is the action input of the same name. A rule takes its own value, else the one in `defaults`, else the input given to the action, else the default of that input.',
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
              description:
                'The monitor name: shown in Slack and the summary, and the key of its checkpoint (renaming a rule starts it afresh). Unique in the file.',
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
  }
}
