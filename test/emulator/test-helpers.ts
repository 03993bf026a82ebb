import {
  CloudWatchLogsClient,
  type CloudWatchLogsClientConfig,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs'
import { afterEach } from 'vitest'
import { type Emulator, type EmulatorOptions, startEmulator } from './index.js'

/** A clock the test moves by hand: emulator time stands still between advances. */
export interface FakeClock {
  now: () => number
  advance(ms: number): void
}

/** 2026-01-15T12:00:00Z: a whole second, far from any day boundary. */
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0)

export function fakeClock(start = T0): FakeClock {
  let t = start
  return {
    now: () => t,
    advance: (ms) => {
      t += ms
    },
  }
}

/**
 * The real SDK client pointed at the emulator with its static keys. It signs on the emulator's clock,
 * as a client whose clock agrees with the service's: the emulator refuses signatures more than
 * 5 minutes off its own clock, as AWS does, and a test's fake clock may be anywhere.
 */
export function logsClient(
  emulator: Emulator,
  config: Partial<CloudWatchLogsClientConfig> = {},
): CloudWatchLogsClient {
  const client = new CloudWatchLogsClient({
    region: emulator.env.AWS_REGION ?? 'us-east-1',
    endpoint: emulator.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS ?? emulator.url,
    credentials: emulator.defaultCredentials,
    maxAttempts: 1,
    ...config,
  })
  client.middlewareStack.add(
    (next) => (args) => {
      client.config.systemClockOffset = emulator.now() - Date.now()
      return next(args)
    },
    { step: 'initialize', name: 'emulatorClockMiddleware' },
  )
  return client
}

/**
 * For a test file's top level: returns the `setup` its tests call for a fresh emulator on a fake
 * clock with a logs client (`defaults` under each call's options), and stops both after each test.
 */
export function logsEmulatorPerTest(
  defaults: EmulatorOptions = {},
): (
  options?: EmulatorOptions,
) => Promise<{ emulator: Emulator; client: CloudWatchLogsClient; clock: FakeClock }> {
  let emulator: Emulator | undefined
  let client: CloudWatchLogsClient | undefined
  afterEach(async () => {
    client?.destroy()
    await emulator?.stop()
    emulator = undefined
    client = undefined
  })
  return async (options = {}) => {
    const clock = fakeClock()
    emulator = await startEmulator({ now: clock.now, ...defaults, ...options })
    client = logsClient(emulator)
    return { emulator, client, clock }
  }
}

/** Polls GetQueryResults, moving the fake clock 100 ms between polls, until the query has ended. */
export async function completeQuery(
  client: CloudWatchLogsClient,
  clock: FakeClock,
  queryId: string,
): Promise<GetQueryResultsCommandOutput> {
  for (let i = 0; i < 100; i++) {
    const response = await client.send(new GetQueryResultsCommand({ queryId }))
    if (response.status !== 'Scheduled' && response.status !== 'Running') return response
    clock.advance(100)
  }
  throw new Error('query never ended')
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise
  } catch (error) {
    return error as Error & Record<string, unknown>
  }
  throw new Error('expected the call to fail, it succeeded')
}

/**
 * Sets variables in this process's environment (undefined removes one) and returns the undo. For
 * clients that read the environment at call time, as `@actions/cache` does, when run in-process.
 */
export function setProcessEnv(values: Record<string, string | undefined>): () => void {
  const saved = Object.keys(values).map((name) => [name, process.env[name]] as const)
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
}

/**
 * Retries with multi-second backoff (@actions/cache's Twirp client: 5 attempts from 3 s; Azure's
 * storage policy: 4 tries from 4 s) run at once: timers of a second or more fire after 1 ms.
 * Returns the undo.
 */
export function compressBackoff(): () => void {
  const real = globalThis.setTimeout
  const fast = ((handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    real(handler, ms !== undefined && ms >= 1000 ? 1 : ms, ...args)) as unknown as typeof setTimeout
  globalThis.setTimeout = Object.assign(fast, real)
  return () => {
    globalThis.setTimeout = real
  }
}
