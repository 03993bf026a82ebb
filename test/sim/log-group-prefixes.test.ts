import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startEmulator } from '../emulator/index.js'
import { freshDirectory, runInProcess, SimClock, simRunnerEnv, simWorkspace } from './in-process.js'

/**
 * Issue 16: "`SOURCE logGroups(namePrefix…)` over 300 emulated groups in two accounts returns every
 * match once". Two linked source accounts with 150 groups each: some under the prefixes, some not,
 * 45 `/aws/apigateway/` and 10 `/custom/edge-` names in both accounts, with the very same entries.
 * The monitoring account has a group under a prefix too, outside source-accounts, and one named in
 * log-group-names. Two runs whose windows overlap by two minutes: every match of the prefixes in the
 * two accounts reported exactly once, nothing else, one StartQuery by prefix per run.
 */

const REGION = 'eu-west-1'
const MONITORING = '123456789012'
const ACCOUNT_A = '111122223333'
const ACCOUNT_B = '444455556666'
const MINUTE = 60_000
const START = Date.UTC(2026, 2, 3, 9, 0, 0)
const WEBHOOK = 'alerts'
const NAMED = '/other/checkout'

const workspace = simWorkspace('insights-watch-prefixes-')

const arn = (account: string, name: string) => `arn:aws:logs:${REGION}:${account}:log-group:${name}`

/** Each account's 150 groups: which match the prefixes. */
function groupsOf(account: string): Array<{ name: string; matches: boolean }> {
  const first = account === ACCOUNT_A ? 0 : 45
  return [
    ...Array.from({ length: 90 }, (_, i) => ({ name: `/aws/apigateway/api-${first + i}`, matches: true })),
    ...Array.from({ length: 10 }, (_, i) => ({ name: `/custom/edge-${i}`, matches: true })),
    // Near misses: another service, and a name that has the prefix's words but not its start.
    ...Array.from({ length: 40 }, (_, i) => ({ name: `/aws/lambda/fn-${i}`, matches: false })),
    ...Array.from({ length: 10 }, (_, i) => ({ name: `/ecs/custom/edge-${i}`, matches: false })),
  ]
}

/**
 * A group's entries, the same in every account (the fingerprint must tell them apart by @log): a 500
 * early in the first window, a 404 in its last two minutes (which the second run checks again), a 200
 * (no match), and a 503 in the second window only.
 */
function entriesOf(name: string) {
  const line = (minute: number, status: number, tag: string) => ({
    timestamp: START + minute * MINUTE + 17_000,
    ingestionTime: START + minute * MINUTE + 17_000,
    message: JSON.stringify({ requestId: `${name}#${tag}`, status: String(status), httpMethod: 'GET' }),
  })
  return [line(1, 500, 'a'), line(2, 200, 'ok'), line(8, 404, 'b'), line(12, 503, 'c')]
}

interface ResultLine {
  fields: Record<string, string>
}

describe('log-group-prefixes and source-accounts', () => {
  it('reports every match in 300 groups across two accounts once, over two overlapping windows', async () => {
    const clock = new SimClock(START)
    const emulator = await startEmulator({ now: clock.now, region: REGION, queryLatencyMs: 100 })
    const dir = freshDirectory(workspace.base(), 'prefixes-')
    const stateFile = join(dir, 'state.json')
    const expected = new Set<string>()
    let seededGroups = 0
    for (const account of [ACCOUNT_A, ACCOUNT_B]) {
      for (const group of groupsOf(account)) {
        const entries = entriesOf(group.name)
        emulator.putLogEvents(arn(account, group.name), entries)
        seededGroups += 1
        if (!group.matches) continue
        for (const entry of entries) {
          if (!entry.message.includes('"200"')) expected.add(`${account}:${group.name} ${entry.message}`)
        }
      }
    }
    expect(seededGroups).toBe(300)
    // The monitoring account's own group under a prefix: not in source-accounts, never reported.
    emulator.putLogEvents('/aws/apigateway/api-0', entriesOf('/aws/apigateway/api-0'))
    // A named group beside the prefixes: queried in its own batch, reported as well.
    emulator.putLogEvents(NAMED, entriesOf(NAMED))
    for (const entry of entriesOf(NAMED)) {
      if (!entry.message.includes('"200"')) expected.add(`${MONITORING}:${NAMED} ${entry.message}`)
    }

    const reported: string[] = []
    const runs: Array<{ matchCount: number; startQueries: Array<Record<string, unknown>>; summary: string }> =
      []
    try {
      for (const [index, minute] of [10, 15].entries()) {
        clock.advanceTo(START + minute * MINUTE)
        const callsBefore = emulator.calls.length
        const result = await runInProcess({
          clock,
          inputs: {
            'log-group-names': NAMED,
            'log-group-prefixes': '/aws/apigateway/\n/custom/edge-',
            'source-accounts': `${ACCOUNT_A}, ${ACCOUNT_B}`,
            'aws-region': REGION,
            state: `file:${stateFile}`,
            'slack-webhook-url': emulator.slackWebhookUrl(WEBHOOK),
            interval: '10m',
            baseline: 'none',
          },
          env: simRunnerEnv(emulator, String(8_100_000 + index)),
          runnerTemp: freshDirectory(dir, 'run-'),
          summaryFile: workspace.summaryFile(),
        })
        if (result.failed) throw new Error(`run ${index + 1} failed:\n${result.log}`)
        const lines = readFileSync(result.outputs['results-file'] as string, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => (JSON.parse(line) as ResultLine).fields)
        for (const fields of lines) reported.push(`${fields['@log']} ${fields['@message']}`)
        runs.push({
          matchCount: Number(result.outputs['match-count']),
          startQueries: emulator.calls
            .slice(callsBefore)
            .filter((call) => call.service === 'logs' && call.action === 'StartQuery')
            .map((call) => call.body as Record<string, unknown>),
          summary: result.summary,
        })
      }
      // The first run's digest, with every match of the window counted once.
      const posts = emulator.slackPosts(WEBHOOK).map((post) => post.raw)
      expect(posts[0]).toContain('*402* matching entries')
      // (Slack's text writes `*` as `∗`, which cannot start bold.)
      expect(posts[0]).toContain(`/aws/apigateway/∗ (prefix, accounts ${ACCOUNT_A}, ${ACCOUNT_B})`)
    } finally {
      await emulator.stop()
    }

    // Every match once: nothing repeated across the overlap, nothing from other groups or accounts.
    expect(new Set(reported).size).toBe(reported.length)
    expect(new Set(reported)).toEqual(expected)
    // 200 matching groups: a 500 and a 404 in the first window, a 503 in the second; the named group too.
    expect(runs.map((run) => run.matchCount)).toEqual([2 * 201, 201])

    for (const run of runs) {
      const bySource = run.startQueries.filter((body) => String(body.queryString).startsWith('SOURCE '))
      expect(bySource).toHaveLength(1)
      const [source] = bySource
      expect(source?.queryString).toMatch(
        new RegExp(
          `^SOURCE logGroups\\(namePrefix: \\['/aws/apigateway/', '/custom/edge-'\\], accountIdentifiers: \\['${ACCOUNT_A}', '${ACCOUNT_B}'\\]\\)\\n\\| `,
        ),
      )
      expect(source).not.toHaveProperty('logGroupNames')
      expect(source).not.toHaveProperty('logGroupIdentifiers')
      // And the named group in its own batch beside it.
      expect(run.startQueries.filter((body) => body !== source)).toEqual([
        expect.objectContaining({ logGroupNames: [NAMED] }),
      ])
      expect(run.summary).toContain('<th>Log groups (1 named, 2 prefixes)</th>')
      // (The summary escapes `*`.)
      expect(run.summary).toContain(`/aws/apigateway/&#42; (prefix, accounts ${ACCOUNT_A}, ${ACCOUNT_B})`)
    }
  }, 120_000)

  it("selects by prefix in the action's own queries too: the request count and the baseline", async () => {
    const clock = new SimClock(START)
    const emulator = await startEmulator({ now: clock.now, region: REGION, queryLatencyMs: 100 })
    const dir = freshDirectory(workspace.base(), 'own-')
    for (const account of [ACCOUNT_A, ACCOUNT_B]) {
      emulator.putLogEvents(arn(account, '/aws/apigateway/api-1'), entriesOf('/aws/apigateway/api-1'))
    }
    clock.advanceTo(START + 10 * MINUTE)
    let result: Awaited<ReturnType<typeof runInProcess>>
    try {
      result = await runInProcess({
        clock,
        inputs: {
          'log-group-prefixes': '/aws/apigateway/',
          'source-accounts': ACCOUNT_A,
          'aws-region': REGION,
          state: 'none',
          interval: '10m',
          'rate-thresholds': '5xx=1%',
          'min-requests': '1',
          baseline: '1h',
        },
        env: simRunnerEnv(emulator, '8200000'),
        runnerTemp: freshDirectory(dir, 'run-'),
        summaryFile: workspace.summaryFile(),
      })
    } finally {
      await emulator.stop()
    }
    if (result.failed) throw new Error(`the run failed:\n${result.log}`)
    const starts = emulator.calls
      .filter((call) => call.service === 'logs' && call.action === 'StartQuery')
      .map((call) => call.body as Record<string, unknown>)
    // The query, the request count (rate-thresholds) and, for the alert, the baseline an hour earlier.
    expect(starts).toHaveLength(3)
    for (const body of starts) {
      expect(String(body.queryString)).toMatch(
        new RegExp(
          `^SOURCE logGroups\\(namePrefix: \\['/aws/apigateway/'\\], accountIdentifiers: \\['${ACCOUNT_A}'\\]\\)\\n\\| `,
        ),
      )
      expect(body).not.toHaveProperty('logGroupNames')
    }
    expect(starts.some((body) => String(body.queryString).includes('stats count(*)'))).toBe(true)
    // Account A's group only: its 500 and 404 of four requests.
    expect(result.outputs['match-count']).toBe('2')
  }, 60_000)

  it('fails the step naming the prefixes when the prefix query fails, and still reports the named groups', async () => {
    const clock = new SimClock(START)
    const emulator = await startEmulator({ now: clock.now, region: REGION, queryLatencyMs: 100 })
    const dir = freshDirectory(workspace.base(), 'failed-')
    emulator.putLogEvents(arn(ACCOUNT_A, '/aws/apigateway/api-1'), entriesOf('/aws/apigateway/api-1'))
    emulator.putLogEvents(NAMED, entriesOf(NAMED))
    emulator.failNextQuery('Failed', 'SOURCE logGroups')
    clock.advanceTo(START + 10 * MINUTE)
    let result: Awaited<ReturnType<typeof runInProcess>>
    try {
      result = await runInProcess({
        clock,
        inputs: {
          'log-group-names': NAMED,
          'log-group-prefixes': '/aws/apigateway/',
          'source-accounts': ACCOUNT_A,
          'aws-region': REGION,
          state: 'none',
          interval: '10m',
          baseline: 'none',
        },
        env: simRunnerEnv(emulator, '8300000'),
        runnerTemp: freshDirectory(dir, 'run-'),
        summaryFile: workspace.summaryFile(),
      })
    } finally {
      await emulator.stop()
    }
    expect(result.failed).toBe(true)
    expect(result.log).toContain(
      `1 of 2 query batches failed; the others were reported. batch 2 (/aws/apigateway/* (prefix, account ${ACCOUNT_A}))`,
    )
    // The named group's two matches are still reported.
    expect(result.outputs['match-count']).toBe('2')
  }, 60_000)
})
