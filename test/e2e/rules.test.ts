import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Emulator } from '../emulator/index.js'
import { startTimeline, type Timeline } from '../support/timeline.js'

/**
 * A rules file (issue 16), the bundle against the emulator: thirty monitors over 120 log groups in one
 * step, each with its own checkpoint and Slack message, one job summary; a failing rule that fails the
 * step at the end while the others are still reported and saved; a malformed file refused before any
 * network call.
 */

const SECOND = 1000
const MINUTE = 60 * SECOND
const RULES = 30
const GROUPS_PER_RULE = 4
const HOOKS = ['HOOK_PAYMENTS', 'HOOK_SEARCH', 'HOOK_EDGE'] as const

let timeline: Timeline
let emulator: Emulator
let dir: string

afterEach(async () => {
  await emulator?.stop()
})

const ruleName = (i: number) => `svc-${String(i).padStart(2, '0')}`
const groupOf = (rule: number, k: number) => `/aws/apigateway/${ruleName(rule)}-${k}`

async function start(): Promise<void> {
  timeline = await startTimeline({ region: 'eu-west-1', queryLatencyMs: 200 })
  emulator = timeline.emulator
  for (let rule = 0; rule < RULES; rule += 1)
    for (let k = 0; k < GROUPS_PER_RULE; k += 1) emulator.createLogGroup(groupOf(rule, k))
  dir = mkdtempSync(join(tmpdir(), 'insights-watch-rules-'))
}

/** The rules file: shared defaults, then thirty rules, each over its own four groups and one of three webhooks. */
function rulesFile(overrides: Record<number, string> = {}): string {
  const rules = Array.from({ length: RULES }, (_, i) => {
    const groups = Array.from({ length: GROUPS_PER_RULE }, (_, k) => `      - ${groupOf(i, k)}`).join('\n')
    return [
      `  - name: ${ruleName(i)}`,
      '    log-group-names:',
      groups,
      `    slack-webhook-secrets: ${HOOKS[i % HOOKS.length]}`,
      overrides[i] ?? '',
    ]
      .filter((line) => line !== '')
      .join('\n')
  })
  const text = [
    '# yaml-language-server: $schema=../schema/insights-watch-rules.schema.json',
    'defaults:',
    '  thresholds: { 5xx: 1, 4xx: 5 }',
    '  baseline: none',
    '  group-by: [status, resourcePath]',
    'rules:',
    ...rules,
    '',
  ].join('\n')
  const path = join(dir, 'insights-watch.yml')
  writeFileSync(path, text)
  return path
}

function inputs(path: string): Record<string, string> {
  return { rules: path, 'aws-region': 'eu-west-1', state: `file:${join(dir, 'state.json')}` }
}

const env = (): Record<string, string> =>
  Object.fromEntries(HOOKS.map((hook) => [hook, emulator.slackWebhookUrl(hook.toLowerCase())]))

/** Access-log lines in a rule's first group, `atMs` into the timeline, one second apart. */
let sequence = 0
function logErrors(rule: number, atMs: number, statuses: readonly number[]): void {
  emulator.putLogEvents(
    groupOf(rule, sequence % GROUPS_PER_RULE),
    statuses.map((status, i) => ({
      timestamp: timeline.t0 + atMs + i * SECOND,
      ingestionTime: timeline.t0 + atMs + i * SECOND,
      message: JSON.stringify({
        requestId: `req-${sequence++}`,
        httpMethod: 'GET',
        resourcePath: `/${ruleName(rule)}/items`,
        status: String(status),
      }),
    })),
  )
}

/** Every message the webhooks took, in order of arrival. */
const delivered = () =>
  HOOKS.flatMap((hook) => emulator.slackPosts(hook.toLowerCase()).filter((post) => post.status === 200)).sort(
    (a, b) => a.at - b.at,
  )
const startQueries = () => emulator.calls.filter((call) => call.action === 'StartQuery')

/** The most queries running at once among `calls`: from StartQuery to the answer that says Complete. */
function mostAtOnce(calls: typeof emulator.calls): number {
  const started = new Map<string, number>()
  const events: Array<[number, number]> = []
  for (const call of calls) {
    const response = call.response as { queryId?: string; status?: string } | undefined
    if (call.action === 'StartQuery' && response?.queryId) started.set(response.queryId, call.at)
    const queryId = (call.body as { queryId?: string } | undefined)?.queryId
    if (
      call.action === 'GetQueryResults' &&
      response?.status === 'Complete' &&
      queryId &&
      started.has(queryId)
    ) {
      events.push([started.get(queryId) as number, 1], [call.at, -1])
      started.delete(queryId)
    }
  }
  let running = 0
  let most = 0
  for (const [, change] of events.sort((a, b) => a[0] - b[0] || a[1] - b[1])) {
    running += change
    most = Math.max(most, running)
  }
  return most
}

function messageText(post: { body: unknown }): string {
  return JSON.stringify(post.body)
}

describe('rules: many monitors in one step', () => {
  it('30 rules over 120 log groups: one run, one summary, exactly the rules over their thresholds alert, once each', async () => {
    await start()
    const path = rulesFile()
    const first = await timeline.runAt(0, inputs(path), env())
    expect(first.exitCode, first.stdout).toBe(0)
    // Every rule starts its own checkpoint (and tells its channel so, once).
    expect(delivered()).toHaveLength(RULES)
    const before = delivered().length
    const queriesBefore = startQueries().length

    logErrors(3, 2 * MINUTE, [502, 503])
    logErrors(7, 2 * MINUTE, [500])
    logErrors(12, 3 * MINUTE, [504, 504, 504])
    logErrors(20, 2 * MINUTE, [404, 404, 404]) // three 4xx: below 4xx=5
    logErrors(25, 2 * MINUTE, Array(8).fill(429)) // eight 4xx: above it
    const second = await timeline.runAt(5 * MINUTE, inputs(path), env())
    expect(second.exitCode, second.stdout).toBe(0)

    // One StartQuery per rule (four groups each: one batch), all in this one step, side by side but
    // never more than the step's cap of 10 at once.
    expect(startQueries().length - queriesBefore).toBe(RULES)
    const secondCalls = emulator.calls.filter((call) => call.at >= timeline.t0 + 5 * MINUTE)
    expect(mostAtOnce(secondCalls)).toBeGreaterThan(1)
    expect(mostAtOnce(secondCalls)).toBeLessThanOrEqual(10)
    expect(JSON.parse(second.outputs['alerting-rules'] ?? '')).toEqual([
      'svc-03',
      'svc-07',
      'svc-12',
      'svc-25',
    ])
    expect(JSON.parse(second.outputs['failed-rules'] ?? '')).toEqual([])
    expect(second.outputs['match-count']).toBe(String(2 + 1 + 3 + 3 + 8))
    expect(second.outputs['critical-count']).toBe('6')

    // One message per alerting rule, to that rule's webhook, never one per entry.
    const posts = delivered().slice(before)
    expect(posts).toHaveLength(4)
    for (const [rule, hook] of [
      [3, 'hook_payments'],
      [7, 'hook_search'],
      [12, 'hook_payments'],
      [25, 'hook_search'],
    ] as const) {
      const mine = emulator
        .slackPosts(hook)
        .filter((post) => post.status === 200 && messageText(post).includes(ruleName(rule)))
      expect(mine.length, ruleName(rule)).toBe(2) // the first run's notice, and this alert
    }
    const svc20 = posts.filter((post) => messageText(post).includes('svc-20'))
    expect(svc20.map(messageText)).toEqual([])

    // One summary: the overview table first, then a section per rule in the file's order.
    const summary = second.summary
    expect(summary.indexOf('30 rules from')).toBeGreaterThanOrEqual(0)
    expect(summary.indexOf('30 rules from')).toBeLessThan(summary.indexOf('insights-watch: svc-00'))
    for (let i = 1; i < RULES; i += 1)
      expect(summary.indexOf(`insights-watch: ${ruleName(i)}<`)).toBeGreaterThan(
        summary.indexOf(`insights-watch: ${ruleName(i - 1)}<`),
      )
    expect(summary).toMatch(/svc-20<\/td>.*?below the thresholds/s)
    // Each rule's lines are one group in the log.
    expect(second.stdout).toMatch(/::group::Rule \d+\/30 "svc-03": alerted, Slack told/)

    // The results file holds every new entry, each with its rule.
    const lines = readFileSync(second.outputs['results-file'] ?? '', 'utf8')
      .trim()
      .split('\n')
    expect(lines).toHaveLength(17)
    expect(lines.filter((line) => JSON.parse(line).rule === 'svc-25')).toHaveLength(8)

    // The next run repeats nothing: each rule kept its own checkpoint.
    const third = await timeline.runAt(10 * MINUTE, inputs(path), env())
    expect(third.exitCode, third.stdout).toBe(0)
    expect(third.outputs['match-count']).toBe('0')
    expect(delivered().length).toBe(before + 4)
  })

  it("one rule's query failing: the others are reported and saved, the step fails at the end naming it", async () => {
    await start()
    const path = rulesFile({
      9: '    query: fields @timestamp, @message | filter status >= 500 | sort @timestamp desc',
    })
    const first = await timeline.runAt(0, inputs(path), env())
    expect(first.exitCode, first.stdout).toBe(0)
    const before = delivered().length

    logErrors(9, 2 * MINUTE, [500, 502])
    logErrors(4, 2 * MINUTE, [503])
    emulator.failNextQuery('Failed', 'status >= 500')
    const failing = await timeline.runAt(5 * MINUTE, inputs(path), env())
    expect(failing.exitCode).toBe(1)
    expect(failing.stdout + failing.stderr).toMatch(/1 of 30 rules failed[^\n]*rule "svc-09"/)
    expect(JSON.parse(failing.outputs['failed-rules'] ?? '')).toEqual(['svc-09'])
    // The others were reported: svc-04 alerted; its checkpoint moved.
    expect(JSON.parse(failing.outputs['alerting-rules'] ?? '')).toEqual(['svc-04'])
    expect(delivered().filter((post) => messageText(post).includes('svc-04'))).toHaveLength(2)
    expect(failing.summary).toMatch(/svc-09<\/td>.*?failed/s)

    // The next run: svc-09 reports the entries its failed run could not (nothing lost), svc-04 repeats none.
    const next = await timeline.runAt(10 * MINUTE, inputs(path), env())
    expect(next.exitCode, next.stdout).toBe(0)
    expect(JSON.parse(next.outputs['alerting-rules'] ?? '')).toEqual(['svc-09'])
    expect(next.outputs['match-count']).toBe('2')
    expect(delivered().filter((post) => messageText(post).includes('svc-04'))).toHaveLength(2)
    expect(delivered().length).toBeGreaterThan(before)
  })

  it('state: actions-cache: each rule restores and saves its own entry, side by side, and repeats nothing', async () => {
    await start()
    const path = join(dir, 'four.yml')
    writeFileSync(
      path,
      `rules:\n${[0, 1, 2, 3].map((i) => `  - name: ${ruleName(i)}\n    log-group-names: [${[0, 1, 2, 3].map((k) => groupOf(i, k)).join(', ')}]\n    slack-webhook-secrets: HOOK_EDGE\n`).join('')}`,
    )
    const cache = { rules: path, 'aws-region': 'eu-west-1', state: 'actions-cache' }
    const first = await timeline.runAt(0, cache, env())
    expect(first.exitCode, first.stdout).toBe(0)
    logErrors(1, 2 * MINUTE, [502])
    logErrors(2, 2 * MINUTE, [503, 503])
    const second = await timeline.runAt(5 * MINUTE, cache, env())
    expect(second.exitCode, second.stdout).toBe(0)
    // Every rule found its own checkpoint: no "no checkpoint" notice this time, and the right rules alert.
    expect(second.summary).not.toContain('No checkpoint found')
    expect(JSON.parse(second.outputs['alerting-rules'] ?? '')).toEqual(['svc-01', 'svc-02'])
    const third = await timeline.runAt(10 * MINUTE, cache, env())
    expect(third.outputs['match-count']).toBe('0')
    // One entry per rule and run, each under its rule's own key (name and region).
    const keys = emulator.cacheEntries().map((entry) => entry.key)
    expect(keys).toHaveLength(12)
    for (let i = 0; i < 4; i += 1)
      expect(keys.filter((key) => key.startsWith(`insights-watch-${ruleName(i)}-eu-west-1-`))).toHaveLength(3)
  })

  it('a failure before any rule runs (the role) is told once, through the first rule, not once per rule', async () => {
    await start()
    const path = rulesFile()
    emulator.inject({ service: 'sts', errorType: 'AccessDenied', status: 403, times: 10 })
    const run = await timeline.runAt(0, { ...inputs(path), 'role-to-assume': emulator.roleArn }, env())
    expect(run.exitCode).toBe(1)
    expect(run.stdout).toContain('AccessDenied')
    // Thirty rules, three webhooks: one failure notice, to the first rule's.
    expect(delivered()).toHaveLength(1)
    expect(emulator.slackPosts('hook_payments').filter((post) => post.status === 200)).toHaveLength(1)
  })

  it('a malformed rules file: an error naming the file, the line and the rule, before any network call', async () => {
    await start()
    const path = rulesFile({ 17: '    thresholds: { 5xx: many }' })
    const run = await timeline.runAt(0, inputs(path), env())
    expect(run.exitCode).toBe(1)
    const lineOf17 =
      readFileSync(path, 'utf8')
        .split('\n')
        .findIndex((line) => line.includes('5xx: many')) + 1
    expect(run.stdout).toContain(
      `::error::Input "rules": ${path}:${lineOf17}: rule "svc-17": thresholds.5xx: expected`,
    )
    expect(emulator.calls).toEqual([])
    expect(emulator.requests).toEqual([])

    // An inherited value is blamed where it was written: the defaults' line.
    writeFileSync(
      path,
      readFileSync(rulesFile(), 'utf8').replace('  baseline: none', '  baseline: sometimes'),
    )
    const inherited = await timeline.runAt(0, inputs(path), env())
    expect(inherited.exitCode).toBe(1)
    expect(inherited.stdout).toContain(
      `${path}:4: rule "svc-00" (set in defaults): baseline: "sometimes" is not a duration`,
    )
    expect(emulator.calls).toEqual([])
  })
})
