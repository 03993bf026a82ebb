import { CloudWatchLogsClient, type CloudWatchLogsClientConfig } from '@aws-sdk/client-cloudwatch-logs'
import type { Emulator } from './index.js'

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

/** The real SDK client pointed at the emulator with its static keys. */
export function logsClient(
  emulator: Emulator,
  config: Partial<CloudWatchLogsClientConfig> = {},
): CloudWatchLogsClient {
  return new CloudWatchLogsClient({
    region: emulator.env.AWS_REGION ?? 'us-east-1',
    endpoint: emulator.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS ?? emulator.url,
    credentials: emulator.defaultCredentials,
    maxAttempts: 1,
    ...config,
  })
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
