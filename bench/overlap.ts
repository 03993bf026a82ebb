/**
 * What `overlap` costs: the bytes a run scans again to catch late logs, as a ratio to what it would
 * scan without them. Two runs five minutes apart over a steady stream of access logs, on the
 * emulator's shifted clock; the second run's bytes scanned with `overlap: 2m` against `overlap: 0s`.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTimeline } from '../test/support/timeline.js'

const MINUTE = 60_000
const GROUP = '/aws/apigateway/prod-access'

/** Bytes scanned by the second of two runs five minutes apart, with this overlap. */
async function secondRunBytes(overlap: string): Promise<number> {
  const timeline = await startTimeline({ region: 'eu-west-1', queryLatencyMs: 50 })
  const { emulator, t0 } = timeline
  try {
    emulator.createLogGroup(GROUP)
    // One access-log line every 2 s from 20 minutes before the first run to the second.
    const events = []
    for (let at = -20 * MINUTE; at < 5 * MINUTE; at += 2000) {
      const status = at % 60_000 === 0 ? '502' : '200'
      const message = JSON.stringify({
        requestId: `r${at}`,
        httpMethod: 'GET',
        resourcePath: '/orders',
        status,
      })
      events.push({ timestamp: t0 + at, ingestionTime: t0 + at, message })
    }
    emulator.putLogEvents(GROUP, events)
    const state = join(mkdtempSync(join(tmpdir(), 'insights-watch-bench-overlap-')), 'state.json')
    const inputs = { 'log-group-names': GROUP, 'aws-region': 'eu-west-1', state: `file:${state}`, overlap }
    await timeline.runAt(0, inputs)
    const second = await timeline.runAt(5 * MINUTE, inputs)
    const bytes = /<th>Bytes scanned<\/th><td>[^(]*\(([\d,]+) bytes\)/.exec(second.summary)?.[1]
    if (second.exitCode !== 0 || bytes === undefined)
      throw new Error(`overlap ${overlap}: the run failed\n${second.stdout}`)
    return Number(bytes.replaceAll(',', ''))
  } finally {
    await emulator.stop()
  }
}

export async function overlapExtraBytes(): Promise<{ withOverlap: number; without: number; ratio: number }> {
  const withOverlap = await secondRunBytes('2m')
  const without = await secondRunBytes('0s')
  return { withOverlap, without, ratio: withOverlap / without - 1 }
}
