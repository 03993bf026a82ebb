/**
 * `npm run bench`: insights-watch against the emulator (test/emulator), under Node 24, next to a
 * minimal reference client (bench/reference-client.ts) as the floor. Prints a table and writes
 * bench/results.json. A benchmark, not a test: it exits 0 when a bar is missed, and says so.
 *
 * Every process is spawned the way a runner spawns the action (bench/lib.ts), one at a time, each
 * scenario against a fresh emulator. Times come from one clock: Date.now() in this process, which is
 * also the emulator's clock (`calls[].at`). Figures are medians of BENCH_REPS runs (default 5;
 * BENCH_REPS_DIGEST, default 11, for the 10,000-row digest; BENCH_REPS_100K, default 3, for the
 * 100,000-match run; the rules file against 30 separate runs, about 2 minutes, runs once).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { MAX_SIGNATURES } from '../src/signatures.js'
import { STATE_VERSION, serializeCheckpoint } from '../src/state/checkpoint.js'
import { type Emulator, type EmulatorOptions, startEmulator } from '../test/emulator/index.js'
import { accessLogs, random } from '../test/support/access-logs.js'
import { node24Path } from '../test/support/node24.js'
import { distEntry, distFreshness } from '../test/support/run-action.js'
import { bundle, exec, type ProcessRun, root, runProcess, type Sample, sample, tail } from './lib.js'
import { overlapExtraBytes } from './overlap.js'
import { rateAndBaselineBytes, rateQueries } from './rates.js'
import { rulesAgainstSeparateRuns } from './rules.js'

const REGION = 'eu-west-1'
const GROUP = '/aws/apigateway/prod-access'
const REPS = Math.max(1, Number(process.env.BENCH_REPS ?? 5))
const REPS_100K = Math.max(1, Number(process.env.BENCH_REPS_100K ?? 3))
/**
 * The digest run takes about a second and its ~100 ms figure swings by a third with what else the
 * machine is doing, so it gets more runs than the others for a steadier median.
 */
const REPS_DIGEST = Math.max(1, Number(process.env.BENCH_REPS_DIGEST ?? 11))
/** Runs of the informational (no bar) hosted-runner variant. */
const INFO_REPS = Math.min(REPS, 3)
/** Scenario 2's fixed query latency. */
const QUERY_LATENCY_MS = 2000
const MATCHES_100K = 100_000

const BARS = {
  coldStartMs: 300,
  beyondLatencyMs: 600,
  digestMs: 150,
  digestRssMb: 150,
  matches100kRssMb: 300,
  postsPerWebhook: 1,
  downloadMb: 1.5,
} as const

type Who = 'ours' | 'reference'
type Credentials = 'default' | 'oidc'

interface RunSpec {
  who: Who
  credentials: Credentials
  /** The action's `state` input; the reference has none. */
  state?: 'none' | 'actions-cache'
  webhooks: string[]
  intervalSeconds: number
  extraInputs?: Record<string, string>
  /** More variables for the process (a proxy). */
  extraEnv?: Record<string, string>
  /** Bot-token mode: the incident card in the emulator's #alerts instead of the webhooks. */
  botMode?: boolean
  rss?: boolean
}

interface Scenario {
  emulator: Emulator
  run: ProcessRun
  /** Slack posts per webhook name. */
  posts: Record<string, number>
}

const node = node24Path()
const nodeVersion = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
let referenceScript = ''
let harnessScript = ''
const problems: string[] = []

// ── realistic log lines ────────────────────────────────────────────────────────────────────────────

const ERROR_STATUSES = ['500', '502', '502', '503', '504', '400', '403', '404', '404', '429']

/** `count` API Gateway access-log lines (REST JSON format); errors only unless `status` says otherwise. */
function accessLines(count: number, seed: number, status?: string): string[] {
  const rand = random(seed)
  const to = Date.UTC(2026, 10, 23, 11)
  const events = accessLogs({ from: to - 3_600_000, to, format: 'rest', meanGapMs: 3_600_000 / count, seed })
  const lines: string[] = []
  for (let i = 0; lines.length < count && events.length > 0; i++) {
    const event = events[i % events.length]
    if (!event) break
    const line = JSON.parse(event.message) as Record<string, string>
    if (status !== undefined) line.status = status
    else if (Number(line.status) < 400) {
      line.status = ERROR_STATUSES[Math.floor(rand() * ERROR_STATUSES.length)] ?? '500'
    }
    lines.push(JSON.stringify(line))
  }
  return lines
}

/** Events evenly spread over [now − fromSecondsAgo, now − toSecondsAgo], oldest first. */
function spread(lines: readonly string[], fromSecondsAgo: number, toSecondsAgo: number) {
  const now = Date.now()
  const start = now - fromSecondsAgo * 1000
  const span = (fromSecondsAgo - toSecondsAgo) * 1000
  return lines.map((message, i) => ({ timestamp: start + Math.floor((i * span) / lines.length), message }))
}

// ── one run of ours or the reference against an emulator ───────────────────────────────────────────

async function runOnce(
  spec: RunSpec,
  emulatorOptions: EmulatorOptions,
  seed: (emulator: Emulator) => void,
): Promise<Scenario> {
  const emulator = await startEmulator({ region: REGION, ...emulatorOptions })
  seed(emulator)
  const urls = spec.webhooks.map((name) => emulator.slackWebhookUrl(name))
  const env: Record<string, string> = { ...emulator.env, ...spec.extraEnv }
  if (spec.credentials === 'default') {
    env.AWS_ACCESS_KEY_ID = emulator.defaultCredentials.accessKeyId
    env.AWS_SECRET_ACCESS_KEY = emulator.defaultCredentials.secretAccessKey
  }
  let run: ProcessRun
  if (spec.who === 'ours') {
    const inputs: Record<string, string> = {
      'log-group-names': GROUP,
      'aws-region': REGION,
      interval: `${spec.intervalSeconds}s`,
      state: spec.state ?? 'none',
      'slack-webhook-url': urls.join('\n'),
      // Every match alerts, as in the reference client and the bench figures before issue 12: each
      // scenario measures a run that posts, whatever statuses its few seeded lines drew.
      thresholds: '1',
      // Like for like with the reference, which runs one query: an alert's baseline (a second query,
      // a week earlier, after the first) is measured in a row of its own.
      baseline: 'none',
      ...spec.extraInputs,
    }
    if (spec.credentials === 'oidc') inputs['role-to-assume'] = emulator.roleArn
    if (spec.botMode) {
      delete inputs['slack-webhook-url']
      inputs['slack-bot-token'] = emulator.slackApi.token
      inputs['slack-channel'] = '#alerts'
    }
    run = await runProcess({ node, script: distEntry, inputs, env, rss: spec.rss ?? false })
  } else {
    env.REF_LOG_GROUPS = GROUP
    env.REF_QUERY = 'fields @timestamp, @message, @log | filter status >= 400 | sort @timestamp desc'
    env.REF_INTERVAL_SECONDS = String(spec.intervalSeconds)
    env.REF_DELAY_SECONDS = '60'
    env.REF_WEBHOOKS = urls.join('\n')
    if (spec.credentials === 'oidc') env.REF_ROLE_ARN = emulator.roleArn
    run = await runProcess({ node, script: referenceScript, env, rss: spec.rss ?? false })
  }
  await emulator.stop()
  const posts: Record<string, number> = {}
  for (const name of spec.webhooks)
    posts[name] = emulator.slackPosts(name).filter((p) => p.status === 200).length
  if (run.exitCode !== 0) {
    problems.push(`${spec.who} (${spec.credentials}) exited ${run.exitCode ?? run.signal}:\n${tail(run)}`)
  }
  return { emulator, run, posts }
}

function msSince(run: ProcessRun, at: number | undefined): number {
  return at === undefined ? Number.NaN : at - run.spawnedAt
}

function firstAt(emulator: Emulator, service: string, action?: string): number | undefined {
  return emulator.calls.find((c) => c.service === service && (action === undefined || c.action === action))
    ?.at
}

const fewMatches = (emulator: Emulator) => {
  emulator.putLogEvents(GROUP, [
    ...spread(accessLines(5, 21, '200'), 200, 90),
    ...spread(accessLines(3, 22), 190, 95),
  ])
}

// ── 1. cold start to the first request ─────────────────────────────────────────────────────────────

interface ColdStart {
  /** spawn → first request of any kind, and which it was. */
  toFirstRequest: Sample
  firstRequest: string
  /** spawn → first AWS request (StartQuery on the default chain, STS AssumeRoleWithWebIdentity with OIDC). */
  toFirstAwsRequest: Sample
  firstAwsRequest: string
  toStartQuery: Sample
}

async function coldStart(
  who: Who,
  credentials: Credentials,
  state?: 'actions-cache',
  reps = REPS,
  extraEnv?: Record<string, string>,
  botMode = false,
): Promise<ColdStart> {
  const first: number[] = []
  const aws: number[] = []
  const start: number[] = []
  let firstName = ''
  let awsName = ''
  for (let i = 0; i < reps; i++) {
    const spec: RunSpec = { who, credentials, webhooks: ['alerts'], intervalSeconds: 300 }
    if (state) spec.state = state
    if (extraEnv) spec.extraEnv = extraEnv
    if (botMode) spec.botMode = true
    const { emulator, run } = await runOnce(spec, { queryLatencyMs: 100 }, fewMatches)
    run.cleanup()
    const call = emulator.calls[0]
    firstName = call ? `${call.service} ${call.action}` : 'none'
    first.push(msSince(run, call?.at))
    const awsCall = emulator.calls.find((c) => c.service === 'logs' || c.service === 'sts')
    awsName = awsCall ? `${awsCall.service} ${awsCall.action}` : 'none'
    aws.push(msSince(run, awsCall?.at))
    start.push(msSince(run, firstAt(emulator, 'logs', 'StartQuery')))
  }
  return {
    toFirstRequest: sample(first),
    firstRequest: firstName,
    toFirstAwsRequest: sample(aws),
    firstAwsRequest: awsName,
    toStartQuery: sample(start),
  }
}

// ── 2. wall time beyond a 2 s query ────────────────────────────────────────────────────────────────

interface BeyondLatency {
  wallMs: Sample
  beyondLatencyMs: Sample
  /** Where the time beyond the latency went (medians): spawn → StartQuery, the Complete answer after
   * the query ended (poll lag), Complete → Slack post, Slack post → exit. */
  breakdownMs: { startUp: number; pollLag: number; toSlack: number; afterSlack: number }
  getQueryResultsCalls: number
  slackPosts: number[]
}

async function beyondLatency(
  who: Who,
  credentials: Credentials,
  state: 'none' | 'actions-cache' = 'none',
  reps = REPS,
  botMode = false,
  extraInputs?: Record<string, string>,
): Promise<BeyondLatency> {
  const wall: number[] = []
  const parts = {
    startUp: [] as number[],
    pollLag: [] as number[],
    toSlack: [] as number[],
    afterSlack: [] as number[],
  }
  let polls = 0
  const posts: number[] = []
  for (let i = 0; i < reps; i++) {
    const {
      emulator,
      run,
      posts: byHook,
    } = await runOnce(
      {
        who,
        credentials,
        state,
        webhooks: ['alerts'],
        intervalSeconds: 300,
        botMode,
        ...(extraInputs ? { extraInputs } : {}),
      },
      { queryLatencyMs: QUERY_LATENCY_MS },
      fewMatches,
    )
    run.cleanup()
    wall.push(run.wallMs)
    const started = firstAt(emulator, 'logs', 'StartQuery') ?? Number.NaN
    const complete = emulator.calls.find(
      (c) =>
        c.action === 'GetQueryResults' &&
        (c.response as { status?: string } | undefined)?.status === 'Complete',
    )?.at
    const slack = firstAt(emulator, 'slack') ?? Number.NaN
    parts.startUp.push(started - run.spawnedAt)
    parts.pollLag.push((complete ?? Number.NaN) - (started + QUERY_LATENCY_MS))
    parts.toSlack.push(slack - (complete ?? Number.NaN))
    parts.afterSlack.push(run.exitedAt - slack)
    polls = emulator.calls.filter((c) => c.action === 'GetQueryResults').length
    posts.push(byHook.alerts ?? 0)
  }
  const med = (values: number[]) => sample(values).median
  return {
    wallMs: sample(wall),
    beyondLatencyMs: sample(wall.map((ms) => ms - QUERY_LATENCY_MS)),
    breakdownMs: {
      startUp: med(parts.startUp),
      pollLag: med(parts.pollLag),
      toSlack: med(parts.toSlack),
      afterSlack: med(parts.afterSlack),
    },
    getQueryResultsCalls: polls,
    slackPosts: posts,
  }
}

// ── 3. 10,000 rows → digest, message, summary ──────────────────────────────────────────────────────

interface DigestFigures {
  totalMs: Sample
  withResultsFileMs: Sample
  /** CPU time (user + system) of the timed stretch, results file included. */
  cpuMs: Sample
  maxRssMb: Sample
  rssBeforeMb: Sample
  stagesMs: Record<string, number>
  entries: number
  viaTsx?: { totalMs: number; maxRssMb: number }
}

interface HarnessOutput {
  entries: number
  totalMs: number
  withResultsFileMs: number
  cpuMs: number
  maxRssKb: number
  rssBeforeKb: number
  stagesMs: Record<string, number>
}

async function digest10k(): Promise<DigestFigures> {
  const outputs: HarnessOutput[] = []
  for (let i = 0; i < REPS_DIGEST; i++) {
    const run = await runProcess({ node, script: harnessScript, nodeArgs: ['--expose-gc'] })
    run.cleanup()
    if (run.exitCode !== 0) {
      problems.push(`digest harness exited ${run.exitCode}:\n${tail(run)}`)
      continue
    }
    outputs.push(JSON.parse(run.stdout) as HarnessOutput)
  }
  const mb = (kb: number) => kb / 1024
  const stages: Record<string, number> = {}
  for (const name of Object.keys(outputs[0]?.stagesMs ?? {})) {
    stages[name] = sample(outputs.map((o) => o.stagesMs[name] ?? Number.NaN)).median
  }
  const figures: DigestFigures = {
    totalMs: sample(outputs.map((o) => o.totalMs)),
    withResultsFileMs: sample(outputs.map((o) => o.withResultsFileMs)),
    cpuMs: sample(outputs.map((o) => o.cpuMs)),
    maxRssMb: sample(outputs.map((o) => mb(o.maxRssKb))),
    rssBeforeMb: sample(outputs.map((o) => mb(o.rssBeforeKb))),
    stagesMs: stages,
    entries: outputs[0]?.entries ?? 0,
  }
  // For comparison only: the same harness through tsx, as a developer would run it.
  const tsx = await runProcess({
    node,
    script: join(root, 'bench/digest-harness.ts'),
    nodeArgs: ['--expose-gc', '--import', 'tsx'],
  })
  tsx.cleanup()
  if (tsx.exitCode === 0) {
    const o = JSON.parse(tsx.stdout) as HarnessOutput
    figures.viaTsx = {
      totalMs: Math.round(o.totalMs * 10) / 10,
      maxRssMb: Math.round(mb(o.maxRssKb) * 10) / 10,
    }
  }
  return figures
}

// ── 4. 100,000 matches from a service that caps queries at 10,000 rows without nextToken ────────────

interface Matches100k {
  wallMs: Sample
  maxRssMb: Sample
  /** Ours: the match-count output; the reference: the rows it fetched. */
  reportedTotal: number[]
  resultsFileLines?: number[]
  distinctEntries?: number[]
  truncated?: string[]
  startQueryCalls: number[]
  slackPosts: number[]
}

async function matches100k(who: Who, lines: readonly string[]): Promise<Matches100k> {
  const figures: Matches100k = {
    wallMs: sample([]),
    maxRssMb: sample([]),
    reportedTotal: [],
    startQueryCalls: [],
    slackPosts: [],
  }
  const wall: number[] = []
  const rss: number[] = []
  for (let i = 0; i < REPS_100K; i++) {
    const { emulator, run, posts } = await runOnce(
      {
        who,
        credentials: 'default',
        webhooks: ['alerts'],
        intervalSeconds: 1200,
        extraInputs: { 'max-results': String(MATCHES_100K) },
        rss: true,
      },
      { nextToken: false, maxRowsPerQuery: 10_000 },
      (e) => e.putLogEvents(GROUP, spread(lines, 1140, 180)),
    )
    wall.push(run.wallMs)
    rss.push((run.maxRssKb ?? Number.NaN) / 1024)
    figures.startQueryCalls.push(emulator.calls.filter((c) => c.action === 'StartQuery').length)
    figures.slackPosts.push(posts.alerts ?? 0)
    if (who === 'ours') {
      figures.reportedTotal.push(Number(run.outputs['match-count'] ?? Number.NaN))
      figures.truncated = [...(figures.truncated ?? []), run.outputs.truncated ?? '(none)']
      const { lines: count, distinct } = readResults(run.outputs['results-file'])
      figures.resultsFileLines = [...(figures.resultsFileLines ?? []), count]
      figures.distinctEntries = [...(figures.distinctEntries ?? []), distinct]
    } else {
      const line = run.stdout.trim().split('\n').pop() ?? '{}'
      figures.reportedTotal.push((JSON.parse(line) as { rows?: number }).rows ?? Number.NaN)
    }
    run.cleanup()
  }
  figures.wallMs = sample(wall)
  figures.maxRssMb = sample(rss)
  return figures
}

/** Lines in the results file, and how many distinct log events (@ptr) they hold. */
function readResults(path: string | undefined): { lines: number; distinct: number } {
  if (!path) return { lines: 0, distinct: 0 }
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return { lines: 0, distinct: 0 }
  }
  const ptrs = new Set<string>()
  let lines = 0
  for (const line of text.split('\n')) {
    if (line === '') continue
    lines += 1
    const ptr = (JSON.parse(line) as { fields?: Record<string, string> }).fields?.['@ptr']
    if (ptr !== undefined) ptrs.add(ptr)
  }
  return { lines, distinct: ptrs.size }
}

// ── 5. Slack posts: 2 webhooks, 40 errors ──────────────────────────────────────────────────────────

async function slackTwoHooks(who: Who): Promise<Record<string, number>> {
  const { run, posts } = await runOnce(
    { who, credentials: 'default', webhooks: ['alerts', 'oncall'], intervalSeconds: 300 },
    { queryLatencyMs: 300 },
    (e) => e.putLogEvents(GROUP, spread(accessLines(40, 31), 230, 70)),
  )
  run.cleanup()
  return posts
}

// ── the report ─────────────────────────────────────────────────────────────────────────────────────

interface Row {
  scenario: string
  ours: string
  reference: string
  ratio: string
  bar: string
  /** undefined: no bar, shown for information. */
  pass?: boolean
}

const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : 'n/a')
const mb = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} MB` : 'n/a')
const ratio = (ours: number, reference: number) =>
  Number.isFinite(ours) && Number.isFinite(reference) && reference > 0
    ? `${(ours / reference).toFixed(2)}×`
    : '—'
const all = <T>(values: readonly T[], check: (value: T) => boolean) =>
  values.length > 0 && values.every(check)
const list = (values: readonly (number | string)[]) =>
  [...new Set(values.map((v) => (typeof v === 'number' ? v.toLocaleString('en-US') : v)))].join(' / ')

function printTable(rows: Row[]): void {
  const cells = rows.map((r) => [
    r.scenario,
    r.ours,
    r.reference,
    r.ratio,
    r.bar,
    r.pass === undefined ? '' : r.pass ? 'pass' : 'FAIL',
  ])
  const header = ['scenario', 'ours', 'reference', 'ratio', 'bar', '']
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)))
  const line = (c: string[]) => c.map((text, i) => text.padEnd(widths[i] ?? 0)).join('  ')
  console.log(`\n${line(header)}\n${widths.map((w) => '─'.repeat(w)).join('  ')}`)
  for (const c of cells) console.log(line(c))
}

function markdownTable(rows: Row[]): string {
  const cell = (text: string) => text.replace(/\|/g, '\\|')
  return [
    '| scenario | ours | reference | ratio | bar | |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${cell(r.scenario)} | ${cell(r.ours)} | ${cell(r.reference)} | ${r.ratio} | ${cell(r.bar)} | ${r.pass === undefined ? '' : r.pass ? 'pass' : '**fail**'} |`,
    ),
  ].join('\n')
}

async function main(): Promise<void> {
  const startedAt = Date.now()
  const loadBefore = loadavg()
  // The bench measures the bundle: say when it was not built from the source as it is (by content).
  const dist = distFreshness()
  const log = (text: string) =>
    console.log(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0)}s] ${text}`)
  log(
    `Node ${nodeVersion} (${node}); ${cpus().length} CPUs; load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  )
  const busy = () => loadavg()[0] ?? 0
  if (busy() > cpus().length) {
    log(
      `WARNING: load average ${busy().toFixed(1)} on ${cpus().length} CPUs: other work competes, times will be inflated`,
    )
  }
  if (dist.stale) log(`WARNING: dist/ is stale (${dist.reason}): run npm run build`)

  log('bundling the reference client and the digest harness (ncc, cached by source hash)')
  ;[referenceScript, harnessScript] = await Promise.all([
    bundle(join(root, 'bench/reference-client.ts')),
    bundle(join(root, 'bench/digest-harness.ts')),
  ])

  log(`1. cold start (${REPS} runs each)`)
  const cold = {
    ours: { default: await coldStart('ours', 'default'), oidc: await coldStart('ours', 'oidc') },
    reference: {
      default: await coldStart('reference', 'default'),
      oidc: await coldStart('reference', 'oidc'),
    },
    oursOidcActionsCache: await coldStart('ours', 'oidc', 'actions-cache', INFO_REPS),
    // A proxy variable set: the proxy agents' chunks load at start (src/net/proxy.ts). The emulator is
    // on loopback, which is never proxied, so this is their loading cost alone.
    oursBehindProxy: await coldStart('ours', 'default', undefined, INFO_REPS, {
      HTTPS_PROXY: 'http://proxy.invalid:3128',
    }),
    // Bot-token mode: @slack/web-api's chunk loads only after the query, to post the card.
    oursBotMode: await coldStart('ours', 'default', undefined, INFO_REPS, undefined, true),
  }

  log(`2. wall time beyond a ${QUERY_LATENCY_MS} ms query (${REPS} runs each)`)
  const beyond = {
    ours: await beyondLatency('ours', 'default'),
    reference: await beyondLatency('reference', 'default'),
    oursOidcActionsCache: await beyondLatency('ours', 'oidc', 'actions-cache', INFO_REPS),
    oursBotMode: await beyondLatency('ours', 'default', 'none', INFO_REPS, true),
    // The default `baseline: 7d`: an alerting run waits for a second query before it posts.
    oursBaseline: await beyondLatency('ours', 'default', 'none', INFO_REPS, false, { baseline: '7d' }),
  }

  log(`3. 10,000 rows → digest, message, summary (${REPS_DIGEST} runs)`)
  const digest = await digest10k()

  log(`4. 100,000 matches, 10,000 rows per query, no nextToken (${REPS_100K} runs each)`)
  const lines = accessLines(MATCHES_100K, 41)
  const big = { ours: await matches100k('ours', lines), reference: await matches100k('reference', lines) }

  log('5. Slack posts: 2 webhooks, 40 errors')
  const slack = { ours: await slackTwoHooks('ours'), reference: await slackTwoHooks('reference') }
  const oldLambdaPosts = 40 * 2

  log('6. what overlap costs in bytes scanned (two runs five minutes apart, overlap 2m and 0s)')
  const overlap = await overlapExtraBytes()

  log(
    '7. what rate-thresholds and baseline add: StartQuery calls, Slack posts, bytes scanned (120 log groups)',
  )
  const rates = { queries: await rateQueries(), bytes: await rateAndBaselineBytes() }

  log(
    `8. a rules file: 30 monitors in one step against 30 separate runs, ${QUERY_LATENCY_MS} ms queries (1 run each)`,
  )
  const rules = await rulesAgainstSeparateRuns(QUERY_LATENCY_MS)

  // ── rows ──
  const rows: Row[] = []
  const coldRow = (label: string, ours: Sample, reference: Sample, bar?: number): Row => {
    const row: Row = {
      scenario: label,
      ours: ms(ours.median),
      reference: ms(reference.median),
      ratio: ratio(ours.median, reference.median),
      bar: bar === undefined ? '' : `≤ ${bar} ms`,
    }
    if (bar !== undefined) row.pass = ours.median <= bar
    return row
  }
  rows.push(
    coldRow(
      'cold start → first AWS request (default chain: StartQuery)',
      cold.ours.default.toFirstAwsRequest,
      cold.reference.default.toFirstAwsRequest,
      BARS.coldStartMs,
    ),
    coldRow(
      'cold start → first AWS request (OIDC: STS AssumeRole…)',
      cold.ours.oidc.toFirstAwsRequest,
      cold.reference.oidc.toFirstAwsRequest,
      BARS.coldStartMs,
    ),
    coldRow(
      'cold start → OIDC token request (GitHub)',
      cold.ours.oidc.toFirstRequest,
      cold.reference.oidc.toFirstRequest,
    ),
    coldRow('cold start → StartQuery (OIDC)', cold.ours.oidc.toStartQuery, cold.reference.oidc.toStartQuery),
    {
      scenario: '  cold start → StartQuery (OIDC + state: actions-cache)',
      ours: ms(cold.oursOidcActionsCache.toStartQuery.median),
      reference: '—',
      ratio: '',
      bar: '(info)',
    },
    {
      scenario: '  cold start → StartQuery (default chain, HTTPS_PROXY set: the proxy agents load)',
      ours: ms(cold.oursBehindProxy.toStartQuery.median),
      reference: '—',
      ratio: '',
      bar: '(info)',
    },
    {
      scenario: '  cold start → StartQuery (bot-token mode)',
      ours: ms(cold.oursBotMode.toStartQuery.median),
      reference: '—',
      ratio: '',
      bar: '(info)',
    },
  )
  const beyondRow: Row = {
    scenario: `wall time beyond a ${QUERY_LATENCY_MS / 1000} s query (start-up + poll lag + Slack)`,
    ours: ms(beyond.ours.beyondLatencyMs.median),
    reference: ms(beyond.reference.beyondLatencyMs.median),
    ratio: ratio(beyond.ours.beyondLatencyMs.median, beyond.reference.beyondLatencyMs.median),
    bar: `≤ ${BARS.beyondLatencyMs} ms`,
    pass: beyond.ours.beyondLatencyMs.median <= BARS.beyondLatencyMs,
  }
  rows.push(
    beyondRow,
    {
      scenario: '  same, OIDC + state: actions-cache (hosted-runner default)',
      ours: ms(beyond.oursOidcActionsCache.beyondLatencyMs.median),
      reference: '—',
      ratio: '',
      bar: '(info)',
    },
    {
      scenario: '  same, bot-token mode (@slack/web-api loads; card posted, thread reply)',
      ours: ms(beyond.oursBotMode.beyondLatencyMs.median),
      reference: '—',
      ratio: '',
      bar: '(info)',
    },
    {
      scenario: `  same, baseline 7d (the default): the alert waits for last week's query (${QUERY_LATENCY_MS} ms)`,
      ours: ms(beyond.oursBaseline.beyondLatencyMs.median),
      reference: '—',
      ratio: '',
      bar: '(info)',
    },
  )
  rows.push(
    {
      scenario: '10,000 rows → digest, message, summary: time',
      ours: ms(digest.totalMs.median),
      reference: '—',
      ratio: '',
      bar: `≤ ${BARS.digestMs} ms`,
      pass: digest.totalMs.median <= BARS.digestMs,
    },
    {
      scenario: '10,000 rows → digest, message, summary: peak RSS',
      ours: mb(digest.maxRssMb.median),
      reference: '—',
      ratio: '',
      bar: `≤ ${BARS.digestRssMb} MB`,
      pass: digest.maxRssMb.median <= BARS.digestRssMb,
    },
  )
  const oursTotalsExact = all(big.ours.reportedTotal, (n) => n === MATCHES_100K)
  const oursLinesExact =
    all(big.ours.resultsFileLines ?? [], (n) => n === MATCHES_100K) &&
    all(big.ours.distinctEntries ?? [], (n) => n === MATCHES_100K)
  rows.push(
    {
      scenario: '100,000 matches: total reported (match-count)',
      ours: list(big.ours.reportedTotal),
      reference: list(big.reference.reportedTotal),
      ratio: '',
      bar: 'exactly 100,000',
      pass: oursTotalsExact,
    },
    {
      scenario: '100,000 matches: entries in the results file',
      ours: `${list(big.ours.resultsFileLines ?? [])} (${list(big.ours.distinctEntries ?? [])} distinct)`,
      reference: '—',
      ratio: '',
      bar: 'all 100,000',
      pass: oursLinesExact,
    },
    {
      scenario: '100,000 matches: truncated output',
      ours: list(big.ours.truncated ?? []),
      reference: '—',
      ratio: '',
      bar: 'false',
      pass: all(big.ours.truncated ?? [], (t) => t === 'false'),
    },
    {
      scenario: '100,000 matches: StartQuery calls',
      ours: list(big.ours.startQueryCalls),
      reference: list(big.reference.startQueryCalls),
      ratio: '',
      bar: '',
    },
    {
      scenario: '100,000 matches: wall time',
      ours: ms(big.ours.wallMs.median),
      reference: ms(big.reference.wallMs.median),
      ratio: ratio(big.ours.wallMs.median, big.reference.wallMs.median),
      bar: '',
    },
    {
      scenario: '100,000 matches: peak RSS',
      ours: mb(big.ours.maxRssMb.median),
      reference: mb(big.reference.maxRssMb.median),
      ratio: ratio(big.ours.maxRssMb.median, big.reference.maxRssMb.median),
      bar: `≤ ${BARS.matches100kRssMb} MB`,
      pass: big.ours.maxRssMb.median <= BARS.matches100kRssMb,
    },
  )
  const onePerHook = (counts: number[]) => all(counts, (n) => n === BARS.postsPerWebhook)
  const slackOk = (posts: Record<string, number>) => onePerHook(Object.values(posts))
  const postsPerRun = [
    ...beyond.ours.slackPosts,
    ...big.ours.slackPosts,
    ...beyond.oursOidcActionsCache.slackPosts,
  ]
  rows.push(
    {
      scenario: 'Slack posts per run, 1 webhook (2 s and 100,000 runs)',
      ours: list(postsPerRun),
      reference: list([...beyond.reference.slackPosts, ...big.reference.slackPosts]),
      ratio: '',
      bar: '1 per webhook',
      pass: onePerHook(postsPerRun),
    },
    {
      scenario: 'Slack posts, 2 webhooks, 40 errors',
      ours: String(Object.values(slack.ours).reduce((a, b) => a + b, 0)),
      reference: String(Object.values(slack.reference).reduce((a, b) => a + b, 0)),
      ratio: `old Lambda: ${oldLambdaPosts}`,
      bar: '1 per webhook (2)',
      pass: slackOk(slack.ours),
    },
  )
  /** `+40% (17,281 against 12,320 bytes)`: a run's bytes scanned with something, against without it. */
  const extraBytes = (withIt: number, without: number) =>
    `+${Math.round((withIt / without - 1) * 100)}% (${withIt.toLocaleString('en-US')} against ${without.toLocaleString('en-US')} bytes)`
  const infoRow = (scenario: string, ours: string): Row => ({
    scenario,
    ours,
    reference: '—',
    ratio: '',
    bar: '(info)',
  })
  const { withRates, without, logGroups, batches } = rates.queries
  const ratesRow: Row = {
    scenario: `rate-thresholds, ${logGroups} log groups (${batches} batches), alerting: StartQuery calls and Slack posts`,
    ours: `${withRates.startQueries} StartQuery, ${withRates.posts} post (without: ${without.startQueries}, ${without.posts})`,
    reference: '—',
    ratio: '',
    bar: '≤ 1 extra StartQuery per batch, 0 extra posts',
    // Both runs must have posted, or "no extra post" says nothing.
    pass:
      withRates.startQueries - without.startQueries <= batches &&
      without.posts > 0 &&
      withRates.posts === without.posts,
  }
  rows.push(
    infoRow(
      'overlap 2m on a 5-minute schedule: extra bytes scanned, ratio to the main query',
      extraBytes(overlap.withOverlap, overlap.without),
    ),
    ratesRow,
    infoRow(
      'rate-thresholds: extra bytes scanned (the request count), ratio to the main query',
      extraBytes(rates.bytes.main + rates.bytes.requests, rates.bytes.main),
    ),
    infoRow(
      'baseline 7d on an alerting run: extra bytes scanned (last week), ratio to the main query',
      extraBytes(rates.bytes.main + rates.bytes.baseline, rates.bytes.main),
    ),
  )
  const { oneStep, separate, perMonth } = rules
  const usd = (value: number) => `$${value.toLocaleString('en-US', { minimumFractionDigits: 2 })}`
  const billedRow: Row = {
    scenario: '  Actions minutes billed per 5-minute tick (each job rounded up to a whole minute)',
    ours: `${oneStep.billedMinutes} against ${separate.billedMinutes} (a month: ${perMonth.oneStep.minutes.toLocaleString('en-US')} against ${perMonth.separate.minutes.toLocaleString('en-US')}, ${usd(perMonth.oneStep.usd)} against ${usd(perMonth.separate.usd)} at $${perMonth.usdPerMinute}/min)`,
    reference: '—',
    ratio: '',
    bar: '≤ 1/10 of the separate runs’',
    pass: oneStep.billedMinutes * 10 <= separate.billedMinutes,
  }
  const sameWorkRow: Row = {
    scenario: '  StartQuery calls, Slack posts, match-count',
    ours: `${oneStep.startQueries}, ${oneStep.posts}, ${oneStep.matches} against ${separate.startQueries}, ${separate.posts}, ${separate.matches}`,
    reference: '—',
    ratio: '',
    bar: 'equal (the same queries and alerts)',
    // Posts must have happened, or "equal" says nothing about the alerts.
    pass:
      oneStep.startQueries === separate.startQueries &&
      oneStep.posts === separate.posts &&
      oneStep.posts > 0 &&
      oneStep.matches === separate.matches,
  }
  rows.push(
    infoRow(
      `rules file, ${rules.rules} rules over ${rules.logGroups} log groups (${rules.alertingRules} alerting): wall time of one step against ${rules.rules} separate runs`,
      `${ms(oneStep.wallMs)} against ${ms(separate.sumMs)} summed (longest ${ms(separate.maxMs)})`,
    ),
    billedRow,
    sameWorkRow,
  )
  const seen = signaturesStateSize()
  rows.push({
    scenario: `new-signatures: checkpoint holding ${MAX_SIGNATURES.toLocaleString('en-US')} signatures (its bound)`,
    ours: `${(seen.bytes / 1e3).toFixed(0)} kB (${(seen.gzipped / 1e3).toFixed(0)} kB gzipped)`,
    reference: '—',
    ratio: '',
    bar: '≤ 1 MB',
    pass: seen.bytes <= 1e6,
  })
  const download = downloadSize()
  if (download !== undefined) {
    rows.push({
      scenario: 'what a runner downloads for uses: (git archive HEAD | gzip)',
      ours: `${(download / 1e6).toFixed(2)} MB`,
      reference: '',
      ratio: '',
      bar: `≤ ${BARS.downloadMb} MB`,
      pass: download <= BARS.downloadMb * 1e6,
    })
  }

  const notMet = rows
    .filter((r) => r.pass === false)
    .map((r) => `${r.scenario.trim()}: ${r.ours} (bar ${r.bar})`)
  const results = {
    generatedAt: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    node: { action: nodeVersion, bench: process.version },
    machine: {
      platform: platform(),
      release: release(),
      arch: arch(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      totalMemoryMb: Math.round(totalmem() / 1024 / 1024),
      loadAverage: { before: loadBefore, after: loadavg() },
    },
    git: gitState(),
    dist,
    repetitions: {
      default: REPS,
      digest10k: REPS_DIGEST,
      matches100k: REPS_100K,
      hostedRunnerVariant: INFO_REPS,
    },
    bars: {
      coldStartToFirstAwsRequestMs: BARS.coldStartMs,
      wallTimeBeyondQueryLatencyMs: BARS.beyondLatencyMs,
      digest10kRowsMs: BARS.digestMs,
      digest10kRowsPeakRssMb: BARS.digestRssMb,
      matches100k: {
        total: MATCHES_100K,
        resultsFileEntries: MATCHES_100K,
        truncated: false,
        peakRssMb: BARS.matches100kRssMb,
      },
      slackPostsPerWebhook: BARS.postsPerWebhook,
      rulesFile: { billedMinutes: '≤ 1/10 of 30 separate runs', startQueriesPostsMatches: 'equal' },
    },
    scenarios: {
      coldStart: {
        ...cold,
        note: 'ms from spawn() to the emulator receiving the request; queryLatencyMs 100',
      },
      wallTimeBeyondQueryLatency: { queryLatencyMs: QUERY_LATENCY_MS, ...beyond },
      digest10kRows: { ...digest, note: 'ncc bundle of bench/digest-harness.ts under Node 24 --expose-gc' },
      matches100k: {
        emulator: { nextToken: false, maxRowsPerQuery: 10_000, queryLatencyMs: 300 },
        seeded: MATCHES_100K,
        ...big,
      },
      slackTwoWebhooks40Errors: { ...slack, oldLambda: oldLambdaPosts },
      overlapBytes: overlap,
      rateThresholdsAndBaseline: {
        ...rates,
        note: 'second of two runs 5 minutes apart; bytes scanned summed by kind over the batches',
      },
      rulesAgainstSeparateRuns: {
        ...rules,
        note: "second of two runs 5 minutes apart (the first on an emulator answering at once); the 30 separate runs one after another, each alone as on a runner of its own; billed minutes from the action's wall time, ceil(wall / 60 s) per job",
      },
    },
    pass: {
      coldStartDefault: cold.ours.default.toFirstAwsRequest.median <= BARS.coldStartMs,
      coldStartOidc: cold.ours.oidc.toFirstAwsRequest.median <= BARS.coldStartMs,
      wallTimeBeyondQueryLatency: beyondRow.pass ?? false,
      digestTime: digest.totalMs.median <= BARS.digestMs,
      digestRss: digest.maxRssMb.median <= BARS.digestRssMb,
      matches100kExactTotal: oursTotalsExact,
      matches100kAllEntries: oursLinesExact,
      matches100kNotTruncated: all(big.ours.truncated ?? [], (t) => t === 'false'),
      matches100kRss: big.ours.maxRssMb.median <= BARS.matches100kRssMb,
      slackOnePerWebhook: onePerHook(postsPerRun) && slackOk(slack.ours),
      rateQueriesPerBatch: ratesRow.pass ?? false,
      rulesBilledMinutes: billedRow.pass ?? false,
      rulesSameWork: sameWorkRow.pass ?? false,
    },
    table: rows,
    markdown: markdownTable(rows),
    barsNotMet: notMet,
    problems,
  }
  const resultsPath = join(root, 'bench/results.json')
  writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`)
  // In the project's own format, so `biome check .` passes on the committed file.
  await exec(join(root, 'node_modules/@biomejs/biome/bin/biome'), ['format', '--write', resultsPath])

  printTable(rows)
  console.log(
    `\nwall time beyond ${QUERY_LATENCY_MS} ms, ours: start-up ${ms(beyond.ours.breakdownMs.startUp)}, poll lag ${ms(beyond.ours.breakdownMs.pollLag)}, ` +
      `Complete → Slack ${ms(beyond.ours.breakdownMs.toSlack)}, Slack → exit ${ms(beyond.ours.breakdownMs.afterSlack)}` +
      ` (reference: ${ms(beyond.reference.breakdownMs.startUp)}, ${ms(beyond.reference.breakdownMs.pollLag)}, ${ms(beyond.reference.breakdownMs.toSlack)}, ${ms(beyond.reference.breakdownMs.afterSlack)})`,
  )
  console.log(
    `10,000 rows, ours by stage (ms): ${Object.entries(digest.stagesMs)
      .map(([name, value]) => `${name} ${value.toFixed(1)}`)
      .join(
        ', ',
      )}; CPU ${ms(digest.cpuMs.median)} (results file included); RSS before the work ${mb(digest.rssBeforeMb.median)}` +
      (digest.viaTsx ? `; through tsx: ${ms(digest.viaTsx.totalMs)}, ${mb(digest.viaTsx.maxRssMb)}` : ''),
  )
  console.log(
    `rules file, ${rules.rules} rules: the queries took ${ms(oneStep.queriesMs)} of the step's ${ms(oneStep.wallMs)} (first StartQuery → last Complete; ${rules.rules} queries of ${QUERY_LATENCY_MS} ms, 10 at once); separate runs: ${ms(Math.min(...separate.wallMs))}–${ms(separate.maxMs)} each`,
  )
  const loadAfter = results.machine.loadAverage.after[0] ?? 0
  if (Math.max(loadBefore[0] ?? 0, loadAfter) > cpus().length) {
    console.log(
      `\nWARNING: the machine was busy (1-min load ${(loadBefore[0] ?? 0).toFixed(1)} before, ${loadAfter.toFixed(1)} after, on ${cpus().length} CPUs): times are inflated; compare the ratios, or rerun on an idle machine.`,
    )
  }
  if (dist.stale)
    console.log(
      `\nWARNING: dist/ was not built from the source as it is (${dist.reason}): figures are of a stale bundle.`,
    )
  for (const problem of problems) console.log(`\nproblem: ${problem}`)
  console.log(`\nbench/results.json written (${results.durationSeconds} s, Node ${nodeVersion}).`)
  if (notMet.length > 0) console.log(`\nBARS NOT MET: ${notMet.join('; ')}`)
  else console.log('\nAll bars met.')
}

/**
 * The state of a monitor whose seen set is full: 10,000 realistic API Gateway signatures (status,
 * method, a templated path of a large API), each with its last-seen second, as the checkpoint saves it.
 */
function signaturesStateSize(): { bytes: number; gzipped: number } {
  const methods = ['GET', 'POST', 'PUT', 'DELETE']
  const now = Math.floor(Date.now() / 1000)
  const signatures: Record<string, number> = {}
  for (let i = 0; i < MAX_SIGNATURES; i += 1) {
    signatures[
      `5${String(i % 4).padStart(2, '0')} ${methods[i % 4]} /v2/service-${i % 97}/resources/{id}/items-${i}`
    ] = now - (i % (7 * 86_400))
  }
  const text = serializeCheckpoint({
    version: STATE_VERSION,
    checked: now,
    reported: {},
    savedAt: new Date(now * 1000).toISOString(),
    signatures,
  })
  return { bytes: Buffer.byteLength(text, 'utf8'), gzipped: gzipSync(text).length }
}

/**
 * What `uses:` downloads: the repository at the ref as a gzipped `git archive`, less what
 * .gitattributes marks export-ignore. Of HEAD, so commit first; undefined outside a git checkout.
 */
function downloadSize(): number | undefined {
  try {
    const tar = execFileSync('git', ['archive', 'HEAD'], { cwd: root, maxBuffer: 256 * 1024 * 1024 })
    return gzipSync(tar).length
  } catch (error) {
    problems.push(`git archive HEAD: ${error instanceof Error ? error.message : String(error)}`)
    return undefined
  }
}

function gitState(): { head: string; dirtySources: boolean } {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      cwd: root,
      encoding: 'utf8',
    }).trim()
    return { head, dirtySources: dirty !== '' }
  } catch {
    return { head: 'unknown', dirtySources: false }
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
