import { type CloudWatchLogsClient, GetQueryResultsCommand } from '@aws-sdk/client-cloudwatch-logs'

/**
 * CloudWatch Logs' clock, read from the `Date` header of its responses.
 *
 * A window ends at now − query-delay, and the next run starts from that end. If the runner's clock is
 * ahead of the service's, the window ends in the service's future: entries stamped there arrive after
 * the run and are behind the next run's start, so they are never reported (a self-hosted runner 5
 * minutes fast lost 82 of 199 entries, issue 11). So the window is planned on the service's clock
 * whenever the runner's disagrees with it.
 *
 * The service's time is needed before the first StartQuery. Every HTTP answer of an AWS endpoint carries
 * `Date`, errors included, so the cheapest reading is a bare `GET /` of the Logs endpoint: unsigned,
 * so it needs no IAM permission, is not a Logs API call (no CloudTrail event, nothing taken from the
 * 5-per-second GetQueryResults quota), and its answer, whatever it is, is not looked at. It goes
 * through the client's own pipeline (endpoint resolution, proxy, keep-alive pool), so the connection
 * it opens is the one StartQuery then reuses: the TLS handshake it pays is one StartQuery would have
 * paid, and what it adds on the happy path is one round trip (tens of milliseconds in-region, against
 * a bench budget of 600 ms beyond query latency; about 1 ms against the emulator). The alternatives
 * cost more or covered less: a Logs call such as GetQueryResults for an unknown query id (an error in
 * CloudTrail every five minutes, a quota token, and one more call in every count of Logs calls);
 * planning on the runner's clock and stopping and restarting the queries when StartQuery's Date
 * disagrees (a StopQuery and a second StartQuery whenever the clock is off); STS's Date (only on the
 * OIDC path; the default credential chain of a self-hosted runner, where clocks drift, calls no STS).
 *
 * Signing is the SDK's own affair: it corrects its SigV4 clock from the same header (AWS refuses a
 * signature more than 5 minutes off, "Signature expired"/"not yet current", and the SDK retries once
 * it has corrected); see test/emulator/auth.test.ts.
 */

/** `Date` has a resolution of one second, and the round trip blurs it further: below this, the clocks agree. */
export const SKEW_TOLERANCE_MS = 2_000

/** What the run knows of the two clocks, for the log, the warning and the summary. */
export interface ClockReading {
  /** Service − runner, ms: the best estimate from every Date seen so far; undefined if none was. */
  offsetMs: number | undefined
  /** The clock the window was planned on. */
  planned: 'runner' | 'service'
}

/**
 * The service's clock as the runner sees it: every Logs response's `Date` (service time, rounded down
 * to the second) against the runner's clock when the request was sent and answered. Each answer bounds
 * the offset to (Date − received, Date + 1 s − sent); the bounds of all answers are intersected.
 */
export class ServiceClock {
  #low = Number.NEGATIVE_INFINITY
  #high = Number.POSITIVE_INFINITY
  #samples = 0
  /** The offset the window was planned with, fixed by `settle()`. */
  #applied = 0
  #planned: 'runner' | 'service' = 'runner'

  constructor(private readonly runnerNow: () => number) {}

  /** Records the Date of every response `client` receives, each attempt of a retried call included. */
  watch(client: CloudWatchLogsClient): void {
    client.middlewareStack.add(
      (next) => async (args) => {
        const sentAt = this.runnerNow()
        try {
          const result = await next(args)
          this.record(dateHeader(result.response), sentAt, this.runnerNow())
          return result
        } catch (error) {
          this.record(dateHeader((error as { $response?: unknown }).$response), sentAt, this.runnerNow())
          throw error
        }
      },
      // Deserialize is the innermost step: one call per attempt, outside the deserializer, so that an
      // error still carries its raw response ($response).
      { step: 'deserialize', priority: 'high', name: 'serviceClockMiddleware' },
    )
  }

  /** One response: `date` is its Date header in ms, `sentAt` and `receivedAt` on the runner's clock. */
  record(date: number | undefined, sentAt: number, receivedAt: number): void {
    if (date === undefined) return
    const low = date - receivedAt
    const high = date + 1000 - sentAt
    if (low >= this.#high || high <= this.#low) {
      // Disagrees with what came before: the runner's clock was stepped meanwhile; trust the latest.
      this.#low = low
      this.#high = high
    } else {
      this.#low = Math.max(this.#low, low)
      this.#high = Math.min(this.#high, high)
    }
    this.#samples += 1
  }

  /** Service − runner, ms; undefined before any Date was seen. */
  offsetMs(): number | undefined {
    return this.#samples === 0 ? undefined : Math.round((this.#low + this.#high) / 2)
  }

  /** Fixes the clock the run plans on: the service's when the two disagree by more than the tolerance. */
  settle(): ClockReading {
    const offsetMs = this.offsetMs()
    if (offsetMs !== undefined && Math.abs(offsetMs) > SKEW_TOLERANCE_MS) {
      this.#applied = offsetMs
      this.#planned = 'service'
    }
    return { offsetMs, planned: this.#planned }
  }

  /** Now on the clock the run plans on (epoch ms). */
  now(): number {
    return this.runnerNow() + this.#applied
  }

  /** What is known now, with the decision `settle()` made. */
  reading(): ClockReading {
    return { offsetMs: this.offsetMs(), planned: this.#planned }
  }
}

/**
 * One bare `GET /` of the client's endpoint, for its Date header only (see the top of this file). A
 * command carries it so that the endpoint, proxy and connection are the client's; once signed, the
 * request is stripped to a GET without body or credentials. Its answer is no Logs answer, so it fails
 * to deserialize: expected, and ignored. The SDK's signer reads the same Date from the failure and
 * corrects its signing clock before StartQuery.
 */
export async function probeServiceClock(client: CloudWatchLogsClient, signal?: AbortSignal): Promise<void> {
  const command = new GetQueryResultsCommand({ queryId: 'service-clock-probe' })
  command.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as {
        method: string
        path: string
        body?: unknown
        query?: unknown
        headers: Record<string, string>
      }
      request.method = 'GET'
      request.path = '/'
      request.query = {}
      request.body = undefined
      const host = request.headers.host
      request.headers = host === undefined ? {} : { host }
      return next(args)
    },
    // After signing (finalizeRequest, where the signer runs), before the request is sent.
    { step: 'finalizeRequest', priority: 'low', name: 'serviceClockProbeMiddleware' },
  )
  try {
    await client.send(command, signal ? { abortSignal: signal } : {})
  } catch {
    // Expected: a GET of the root is no Logs answer. A network failure leaves no Date, and the run
    // plans on the runner's clock; StartQuery, on the same endpoint, then fails loudly.
  }
}

/**
 * The skew, said for people: `null` when the clocks agree (or nothing is known), else a sentence
 * naming the offset and the clock the window was planned on.
 */
export function describeSkew(reading: ClockReading): string | null {
  const { offsetMs, planned } = reading
  if (offsetMs === undefined || Math.abs(offsetMs) <= SKEW_TOLERANCE_MS) return null
  const how = `The runner's clock is ${formatOffset(Math.abs(offsetMs))} ${offsetMs < 0 ? 'ahead of' : 'behind'} CloudWatch Logs' (measured from the Date header of its responses)`
  return planned === 'service'
    ? `${how}; this run planned its window on the service's clock, so nothing is missed, but fix the runner's time sync (NTP).`
    : `${how}, which was found only after the window was planned on the runner's clock: entries near the window's end may be missed. Fix the runner's time sync (NTP).`
}

/** 302_400 → `5m2.4s`. */
export function formatOffset(ms: number): string {
  const tenths = Math.round(ms / 100)
  const minutes = Math.floor(tenths / 600)
  const seconds = (tenths % 600) / 10
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`
}

function dateHeader(response: unknown): number | undefined {
  const headers = (response as { headers?: Record<string, string | undefined> } | undefined)?.headers
  const value = headers?.date ?? headers?.Date
  if (value === undefined) return undefined
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? undefined : ms
}
