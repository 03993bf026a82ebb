/**
 * What a rules file saves (issue 16): 30 monitors over 120 log groups (4 each) as one step with
 * `rules`, against the same 30 as 30 separate workflows, each running the action with one rule's
 * inputs. Wall time, the Actions minutes GitHub bills for them, StartQuery calls and Slack posts.
 *
 * The steady stream of steady-runs.ts in every group: a 502 once a minute in the groups of every fifth
 * rule (6 alert), a 404 once a minute elsewhere (matches below `4xx=50`). Each monitor runs twice, five
 * minutes apart on the emulator's shifted clock, so the measured second run continues from its
 * checkpoint, as a scheduled one does. The same query latency as the wall-time rows, `baseline: none`
 * like them; `realert: 0` so the alerting rules post in the measured run too.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ActionRun } from '../test/support/run-action.js'
import { startTimeline, type Timeline } from '../test/support/timeline.js'
import { steadyTraffic } from './steady-runs.js'

const RULES = 30
const GROUPS_PER_RULE = 4
const MINUTE = 60_000
/** Every fifth rule's groups log 502s: 6 of 30 alert. */
const ALERTING_EVERY = 5
/** A five-minute cron: 12 ticks an hour, 30 days. */
const TICKS_PER_MONTH = 12 * 24 * 30
/**
 * GitHub's per-minute rate for a standard Linux 2-core runner in a private repository, from January 1,
 * 2026 ($0.008 before): docs.github.com/en/billing/reference/actions-runner-pricing.
 */
const USD_PER_MINUTE = 0.006

const ruleName = (i: number) => `svc-${String(i).padStart(2, '0')}`
const groupsOf = (i: number) =>
  Array.from({ length: GROUPS_PER_RULE }, (_, k) => `/aws/apigateway/${ruleName(i)}-${k}`)
const alerting = (i: number) => i % ALERTING_EVERY === 0

/** The same in both: the settings a rule does not set, given to the action as inputs. */
const COMMON_INPUTS = {
  'aws-region': 'eu-west-1',
  thresholds: '5xx=1, 4xx=50',
  baseline: 'none',
  realert: '0',
}
const WEBHOOK_SECRET = 'SLACK_ALERTS_WEBHOOK'

interface Measured {
  wallMs: number
  startQueries: number
  posts: number
  /** The match-count output (a rules run's adds up over its rules). */
  matches: number
  /** From the first StartQuery to the last query's Complete answer: where the queries' time went. */
  queriesMs: number
}

export interface RulesAgainstSeparateRuns {
  rules: number
  logGroups: number
  alertingRules: number
  queryLatencyMs: number
  /** One run of the action with the rules file. */
  oneStep: Measured & { billedMinutes: number }
  /** Each of the 30 runs with one rule's inputs, one after another, in the rules' order. */
  separate: {
    wallMs: number[]
    sumMs: number
    maxMs: number
    startQueries: number
    posts: number
    matches: number
    billedMinutes: number
  }
  perMonth: {
    ticks: number
    usdPerMinute: number
    oneStep: { minutes: number; usd: number }
    separate: { minutes: number; usd: number }
  }
}

/** GitHub rounds each job's minutes up to a whole minute; the action's wall time stands for the job's. */
const billed = (wallMs: number) => Math.ceil(wallMs / MINUTE)

/** An emulator with every rule's log groups and their traffic; `t0` continues another's timeline. */
async function seededTimeline(queryLatencyMs: number, t0?: number): Promise<Timeline> {
  const timeline = await startTimeline({
    region: COMMON_INPUTS['aws-region'],
    queryLatencyMs,
    ...(t0 === undefined ? {} : { t0 }),
  })
  for (let i = 0; i < RULES; i += 1)
    for (const group of groupsOf(i))
      timeline.emulator.putLogEvents(group, steadyTraffic(timeline.t0, alerting(i) ? '502' : '404'))
  return timeline
}

/**
 * The first runs (at 0: they make the checkpoints, not measured) on an emulator that answers queries
 * at once, then the measured second runs (at 5 minutes) on one with the measured latency: one
 * timeline, the same logs, the state in local files both see. B's 30 first runs take a few seconds
 * instead of a minute and a half.
 */
async function firstThenSecond<T>(
  queryLatencyMs: number,
  first: (timeline: Timeline) => Promise<void>,
  second: (timeline: Timeline) => Promise<T>,
): Promise<T> {
  const setup = await seededTimeline(0)
  try {
    await first(setup)
  } finally {
    await setup.emulator.stop()
  }
  const measured = await seededTimeline(queryLatencyMs, setup.t0)
  try {
    return await second(measured)
  } finally {
    await measured.emulator.stop()
  }
}

/** The second run, at 5 minutes: its wall time and what the emulator saw while it ran. */
async function measure(
  timeline: Timeline,
  inputs: Record<string, string>,
  env?: Record<string, string>,
): Promise<Measured> {
  const { emulator } = timeline
  const delivered = () => emulator.slackPosts('alerts').filter((post) => post.status === 200).length
  const callsBefore = emulator.calls.length
  const postsBefore = delivered()
  const startedAt = Date.now()
  const run = await timeline.runAt(5 * MINUTE, inputs, env)
  const wallMs = Date.now() - startedAt
  mustSucceed(run, inputs)
  const calls = emulator.calls.slice(callsBefore)
  const starts = calls.filter((call) => call.action === 'StartQuery')
  const completes = calls.filter(
    (call) =>
      call.action === 'GetQueryResults' &&
      (call.response as { status?: string } | undefined)?.status === 'Complete',
  )
  return {
    wallMs,
    startQueries: starts.length,
    queriesMs: (completes.at(-1)?.at ?? Number.NaN) - (starts[0]?.at ?? Number.NaN),
    posts: delivered() - postsBefore,
    matches: Number(run.outputs['match-count'] ?? Number.NaN),
  }
}

async function runAt0(timeline: Timeline, inputs: Record<string, string>, env?: Record<string, string>) {
  mustSucceed(await timeline.runAt(0, inputs, env), inputs)
}

function mustSucceed(run: ActionRun, inputs: Record<string, string>): void {
  if (run.exitCode !== 0)
    throw new Error(
      `${inputs['monitor-name'] ?? inputs.rules}: exited ${run.exitCode}\n${run.stdout.slice(-2000)}`,
    )
}

/** A: one step with the rules file. */
async function oneStep(queryLatencyMs: number): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'insights-watch-bench-rules-'))
  const file = join(dir, 'insights-watch.yml')
  const rules = Array.from({ length: RULES }, (_, i) =>
    [`  - name: ${ruleName(i)}`, '    log-group-names:', ...groupsOf(i).map((g) => `      - ${g}`)].join(
      '\n',
    ),
  )
  writeFileSync(
    file,
    ['defaults:', `  slack-webhook-secrets: ${WEBHOOK_SECRET}`, 'rules:', ...rules, ''].join('\n'),
  )
  const inputs = { ...COMMON_INPUTS, rules: file, state: `file:${join(dir, 'state.json')}` }
  // The webhook's URL names the emulator's port: the secret's value differs between the two.
  const env = (timeline: Timeline) => ({ [WEBHOOK_SECRET]: timeline.emulator.slackWebhookUrl('alerts') })
  return firstThenSecond(
    queryLatencyMs,
    (timeline) => runAt0(timeline, inputs, env(timeline)),
    (timeline) => measure(timeline, inputs, env(timeline)),
  )
}

/**
 * B: 30 workflows, one rule each. Measured one after another, each its own process, though GitHub
 * would run them at once: each job gets a runner of its own, so the time of one is its time alone on a
 * machine, which 30 processes at once on this machine's 2 cores would not show. Their sum is the runner
 * time billed (before rounding); their max is about how long the 30 take side by side.
 */
async function separateRuns(queryLatencyMs: number): Promise<Measured[]> {
  const dir = mkdtempSync(join(tmpdir(), 'insights-watch-bench-separate-'))
  const rules = Array.from({ length: RULES }, (_, i) => i)
  const inputsOf = (timeline: Timeline, i: number) => ({
    ...COMMON_INPUTS,
    'monitor-name': ruleName(i),
    'log-group-names': groupsOf(i).join('\n'),
    'slack-webhook-url': timeline.emulator.slackWebhookUrl('alerts'),
    // Separate workflows keep separate state.
    state: `file:${join(dir, `${ruleName(i)}.json`)}`,
  })
  return firstThenSecond(
    queryLatencyMs,
    async (timeline) => {
      for (const i of rules) await runAt0(timeline, inputsOf(timeline, i))
    },
    async (timeline) => {
      const measured: Measured[] = []
      for (const i of rules) measured.push(await measure(timeline, inputsOf(timeline, i)))
      return measured
    },
  )
}

export async function rulesAgainstSeparateRuns(queryLatencyMs: number): Promise<RulesAgainstSeparateRuns> {
  const one = await oneStep(queryLatencyMs)
  const each = await separateRuns(queryLatencyMs)
  const sum = (pick: (m: Measured) => number) => each.reduce((total, m) => total + pick(m), 0)
  const separateBilled = sum((m) => billed(m.wallMs))
  const oneBilled = billed(one.wallMs)
  const month = (minutes: number) => ({
    minutes: minutes * TICKS_PER_MONTH,
    usd: Math.round(minutes * TICKS_PER_MONTH * USD_PER_MINUTE * 100) / 100,
  })
  return {
    rules: RULES,
    logGroups: RULES * GROUPS_PER_RULE,
    alertingRules: Math.ceil(RULES / ALERTING_EVERY),
    queryLatencyMs,
    oneStep: { ...one, billedMinutes: oneBilled },
    separate: {
      wallMs: each.map((m) => m.wallMs),
      sumMs: sum((m) => m.wallMs),
      maxMs: Math.max(...each.map((m) => m.wallMs)),
      startQueries: sum((m) => m.startQueries),
      posts: sum((m) => m.posts),
      matches: sum((m) => m.matches),
      billedMinutes: separateBilled,
    },
    perMonth: {
      ticks: TICKS_PER_MONTH,
      usdPerMinute: USD_PER_MINUTE,
      oneStep: month(oneBilled),
      separate: month(separateBilled),
    },
  }
}
