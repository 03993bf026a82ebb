/**
 * The setup of the bytes-scanned rows (overlap.ts, rates.ts): log groups with a steady stream of access
 * logs, and two runs of the bundle five minutes apart on the emulator's shifted clock, sharing a
 * `file:` state, so that the second is a scheduled run continuing from a checkpoint. What the second
 * run did: its output, the emulator's calls and the Slack posts while it ran.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Call } from '../test/emulator/index.js'
import type { ActionRun } from '../test/support/run-action.js'
import { startTimeline } from '../test/support/timeline.js'

const MINUTE = 60_000
const WEEK = 7 * 24 * 60 * MINUTE

export interface SteadyRuns {
  logGroups: readonly string[]
  /** Inputs besides the log groups, region, state, Slack webhook and `realert`. */
  inputs: Record<string, string>
  /** Logs the same traffic a week earlier too, for `baseline`. */
  weekEarlier?: boolean
}

export interface SecondRun {
  run: ActionRun
  /** The emulator's calls while the second run ran. */
  calls: Call[]
  /** Slack posts the second run delivered. */
  posts: number
}

/**
 * One access-log line every 2 s, a 502 once a minute (3% 5xx), from 20 minutes before `t0` (the first
 * run) to 5 minutes after it (the second). `errorStatus` replaces the 502 (a 404: matches that stay
 * below the 4xx threshold).
 */
export function steadyTraffic(t0: number, errorStatus = '502') {
  const events = []
  for (let at = -20 * MINUTE; at < 5 * MINUTE; at += 2000) {
    const status = at % 60_000 === 0 ? errorStatus : '200'
    const message = JSON.stringify({
      requestId: `r${at}`,
      httpMethod: 'GET',
      resourcePath: '/orders',
      status,
    })
    events.push({ timestamp: t0 + at, ingestionTime: t0 + at, message })
  }
  return events
}

export async function secondOfTwoRuns(options: SteadyRuns): Promise<SecondRun> {
  const timeline = await startTimeline({ region: 'eu-west-1', queryLatencyMs: 50 })
  const { emulator, t0 } = timeline
  try {
    for (const group of options.logGroups) {
      emulator.putLogEvents(group, steadyTraffic(t0))
      if (options.weekEarlier) emulator.putLogEvents(group, steadyTraffic(t0 - WEEK))
    }
    const state = join(mkdtempSync(join(tmpdir(), 'insights-watch-bench-')), 'state.json')
    const inputs = {
      'log-group-names': options.logGroups.join('\n'),
      'aws-region': 'eu-west-1',
      state: `file:${state}`,
      'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
      // No quiet period after the first run's alert: the second run alerts (and posts) too.
      realert: '0',
      ...options.inputs,
    }
    const delivered = () => emulator.slackPosts('alerts').filter((post) => post.status === 200).length
    await timeline.runAt(0, inputs)
    const callsBefore = emulator.calls.length
    const postsBefore = delivered()
    const run = await timeline.runAt(5 * MINUTE, inputs)
    if (run.exitCode !== 0)
      throw new Error(`${JSON.stringify(options.inputs)}: the second run failed\n${run.stdout}`)
    return { run, calls: emulator.calls.slice(callsBefore), posts: delivered() - postsBefore }
  } finally {
    await emulator.stop()
  }
}
