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

/** Starts an emulator whose clock is real time plus the timeline's offset. Stop it with `emulator.stop()`. */
export async function startTimeline(options: Omit<EmulatorOptions, 'now'> = {}): Promise<Timeline> {
  const t0 = Math.floor((Date.now() - 120 * MINUTE) / 1000) * 1000
  /** How far the action's and the emulator's clocks are shifted from real time: 0 until the first run. */
  let offset = 0
  const emulator = await startEmulator({ ...options, now: () => Date.now() + offset })
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
