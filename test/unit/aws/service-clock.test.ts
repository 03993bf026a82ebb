import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs'
import { afterEach, describe, expect, it } from 'vitest'
import {
  describeSkew,
  formatOffset,
  probeServiceClock,
  ServiceClock,
  SKEW_TOLERANCE_MS,
} from '../../../src/aws/service-clock.js'
import { type Emulator, startEmulator } from '../../emulator/index.js'

const MINUTE = 60_000
let emulator: Emulator | undefined

afterEach(async () => {
  await emulator?.stop()
  emulator = undefined
})

/** The action's own client: region and keys, the runner's clock, the SDK's default retries. */
function actionClient(emulator: Emulator): CloudWatchLogsClient {
  return new CloudWatchLogsClient({
    region: 'us-east-1',
    endpoint: emulator.url,
    credentials: emulator.defaultCredentials,
  })
}

describe('ServiceClock', () => {
  it('bounds the offset by every answer: Date is the service second, rounded down', () => {
    const clock = new ServiceClock(() => 0)
    expect(clock.offsetMs()).toBeUndefined()
    // Service second 10:00:00 seen between runner 09:59:59.900 and 10:00:00.100: offset in (−100, 1100).
    clock.record(36_000_000, 35_999_900, 36_000_100)
    expect(clock.offsetMs()).toBe(500)
    // A later answer narrows it: 10:00:01 between 10:00:00.950 and 10:00:01.050 → (−50, 1050).
    clock.record(36_001_000, 36_000_950, 36_001_050)
    expect(clock.offsetMs()).toBe(500)
    // One answer that disagrees with all before (the runner's clock was stepped): the latest wins.
    clock.record(36_001_000 + 5 * MINUTE, 36_001_000, 36_001_100)
    expect(clock.offsetMs()).toBe(5 * MINUTE + 450)
  })

  it('plans on the runner clock within the tolerance, on the service clock beyond it', () => {
    let runner = 1_000_000
    const agreeing = new ServiceClock(() => runner)
    agreeing.record(runner + 1000, runner, runner)
    expect(agreeing.settle()).toEqual({ offsetMs: 1500, planned: 'runner' })
    expect(agreeing.now()).toBe(runner)
    expect(describeSkew(agreeing.reading())).toBeNull()

    const fast = new ServiceClock(() => runner)
    fast.record(runner - 5 * MINUTE, runner - 20, runner)
    const reading = fast.settle()
    expect(reading.planned).toBe('service')
    // Between Date − received and Date + 1 s − sent: the middle of (−5m, −5m + 1.02 s).
    expect(reading.offsetMs).toBe(-5 * MINUTE + 510)
    runner += 1000
    expect(fast.now()).toBe(runner - 5 * MINUTE + 510)
    expect(describeSkew(reading)).toMatch(
      /^The runner's clock is 4m59\.5s ahead of CloudWatch Logs' \(measured from the Date header of its responses\); this run planned its window on the service's clock/,
    )
    expect(SKEW_TOLERANCE_MS).toBe(2000)
  })

  it('formats offsets the way durations read, to a tenth of a second', () => {
    expect(formatOffset(302_400)).toBe('5m2.4s')
    expect(formatOffset(3_000)).toBe('3s')
    expect(formatOffset(300_000)).toBe('5m0s')
  })
})

describe('probeServiceClock against the emulator', () => {
  it.each([
    ['ahead', -5 * MINUTE],
    ['behind', 5 * MINUTE],
  ])(
    'reads a service clock with the runner 5 minutes %s, with no Logs call, and corrects the signer',
    async (_, serviceAhead) => {
      emulator = await startEmulator({ now: () => Date.now() + serviceAhead })
      const client = actionClient(emulator)
      const clock = new ServiceClock(Date.now)
      clock.watch(client)
      await probeServiceClock(client)
      const reading = clock.settle()
      expect(reading.planned).toBe('service')
      expect(Math.abs((reading.offsetMs ?? 0) - serviceAhead)).toBeLessThan(1100)
      // A bare GET of the endpoint: no Logs action the emulator (or CloudTrail) would record.
      expect(emulator.calls).toEqual([])
      // The SDK took the same Date for signing: the first real call is accepted at once.
      await client.send(new CreateLogGroupCommand({ logGroupName: '/after-probe' }))
      expect(emulator.calls.map((call) => call.status)).toEqual([200])
      client.destroy()
    },
  )

  it('finds the clocks in agreement when they are', async () => {
    emulator = await startEmulator()
    const client = actionClient(emulator)
    const clock = new ServiceClock(Date.now)
    clock.watch(client)
    await probeServiceClock(client)
    const reading = clock.settle()
    expect(reading.planned).toBe('runner')
    expect(Math.abs(reading.offsetMs ?? Number.NaN)).toBeLessThanOrEqual(SKEW_TOLERANCE_MS)
    client.destroy()
  })
})
