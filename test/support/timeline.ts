import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Emulator, type EmulatorOptions, startEmulator } from '../emulator/index.js'
import { type ActionRun, runAction } from './run-action.js'

const MINUTE = 60_000

/**
 * An emulator and the bundled action on one shifted clock, for end-to-end tests that run the action
 * several times along a timeline: each run starts at a chosen moment of it (runAt), and the emulator's
 * clock (queries, ingestion, tokens, Slack and cache timestamps) moves with the action's.
 */
export interface Timeline {
  readonly emulator: Emulator
  /** The moment the timeline starts (epoch ms, whole seconds), two hours back so credentials stay valid. */
  readonly t0: number
  /**
   * Runs the bundle as if it started `atMs` into the timeline (see shifted-clock.mjs), against the
   * emulator with its default credentials; `env` is added last, overriding those.
   */
  runAt(atMs: number, inputs: Record<string, string>, env?: Record<string, string>): Promise<ActionRun>
}

/**
 * Starts an emulator whose clock is real time plus the timeline's offset. Stop it with `emulator.stop()`.
 * `t0` continues another timeline's on this emulator (the bench's first runs on a fast one, the
 * measured runs on a slow one).
 */
export async function startTimeline(
  options: Omit<EmulatorOptions, 'now'> & { t0?: number } = {},
): Promise<Timeline> {
  const { t0: given, ...emulatorOptions } = options
  const t0 = given ?? Math.floor((Date.now() - 120 * MINUTE) / 1000) * 1000
  /** How far the action's and the emulator's clocks are shifted from real time: 0 until the first run. */
  let offset = 0
  const emulator = await startEmulator({ ...emulatorOptions, now: () => Date.now() + offset })
  return {
    emulator,
    t0,
    runAt(atMs, inputs, env = {}) {
      offset = t0 + atMs - Date.now()
      return runAction({
        inputs,
        env: {
          ...emulator.env,
          AWS_ACCESS_KEY_ID: emulator.defaultCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: emulator.defaultCredentials.secretAccessKey,
          ...env,
        },
        clockOffsetMs: offset,
      })
    },
  }
}

/** One API Gateway access-log line, as the e2e monitors read them. */
interface AccessLine {
  status: number
  httpMethod?: string
  resourcePath?: string
}

/** A timeline with one log group and a `file:` state, for tests that run one monitor along it. */
export interface MonitorTimeline extends Timeline {
  readonly group: string
  /** The state file the monitor's `state: file:…` input names. */
  readonly stateFile: string
  /** `lines` logged (and ingested) `atMs` into the timeline, one second apart, each with its own request id. */
  logAccess(atMs: number, lines: readonly AccessLine[]): void
}

export async function startMonitorTimeline(
  options: Omit<EmulatorOptions, 'now'> & { group: string; statePrefix: string },
): Promise<MonitorTimeline> {
  const { group, statePrefix, ...emulatorOptions } = options
  const timeline = await startTimeline(emulatorOptions)
  const { emulator, t0 } = timeline
  emulator.createLogGroup(group)
  const stateFile = join(mkdtempSync(join(tmpdir(), statePrefix)), 'state.json')
  let sequence = 0
  return {
    ...timeline,
    group,
    stateFile,
    logAccess(atMs, lines) {
      emulator.putLogEvents(
        group,
        lines.map((line, i) => ({
          timestamp: t0 + atMs + i * 1000,
          ingestionTime: t0 + atMs + i * 1000,
          message: JSON.stringify({
            requestId: `req-${sequence++}`,
            httpMethod: line.httpMethod ?? 'POST',
            resourcePath: line.resourcePath ?? '/orders',
            status: String(line.status),
          }),
        })),
      )
    },
  }
}
