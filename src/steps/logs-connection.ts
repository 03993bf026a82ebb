/** Step 2: the CloudWatch Logs client, and the service's clock read before the window is planned. */
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs'
import type { CredentialProvider } from '../aws/credentials.js'
import { type ClockReading, describeSkew, probeServiceClock, ServiceClock } from '../aws/service-clock.js'
import { createRequestLimits, Pool, type RequestLimits } from '../insights/throttle.js'
import type { StepDeps } from '../run-deps.js'
import type { Settings } from '../settings.js'

export interface LogsConnection {
  client: CloudWatchLogsClient
  /** CloudWatch Logs' clock as the runner sees it: the window is planned on it (see service-clock.ts). */
  clock: ServiceClock
  /**
   * The clocks' reading for the report when they disagreed, before planning or in the queries'
   * answers (warned once either way); undefined when they agreed.
   */
  skewAfterQueries(): ClockReading | undefined
  /** StartQuery's and GetQueryResults' request rates: per account, so one set for every query made here. */
  limits: RequestLimits
  /** With rules: one cap on the queries of every rule running at once; absent: each query's own. */
  pool?: Pool
}

export async function connectToLogs(
  settings: Settings,
  credentials: CredentialProvider,
  deps: StepDeps,
  /** Queries at once across every monitor using this connection (the rules of a step). */
  sharedConcurrency?: number,
): Promise<LogsConnection> {
  const client = new CloudWatchLogsClient({
    region: settings.region,
    credentials,
    // Behind a proxy, agents of its own (client.destroy() ends them); the clock probe's connection,
    // kept alive, is the one StartQuery reuses.
    ...(deps.proxyAgents ? { requestHandler: deps.proxyAgents() } : {}),
  })
  const clock = new ServiceClock(deps.now)
  clock.watch(client)
  const probeStarted = deps.now()
  await probeServiceClock(client, deps.signal)
  const { offsetMs } = clock.settle()
  deps.runner.info(
    `Service clock (read in ${deps.now() - probeStarted} ms): ${offsetMs === undefined ? "no Date header seen; planning on the runner's clock" : `CloudWatch Logs − runner = ${offsetMs} ms`}.`,
  )
  const warnOfSkew = (): boolean => {
    const skew = describeSkew(clock.reading())
    if (skew) deps.runner.warning(skew, { title: "insights-watch: the runner's clock is off" })
    return skew !== null
  }
  const skewBeforePlan = warnOfSkew()
  return {
    client,
    clock,
    // Without a Date before planning, the queries' answers may still show the runner's clock was off.
    skewAfterQueries: () => (skewBeforePlan || warnOfSkew() ? clock.reading() : undefined),
    limits: createRequestLimits(deps),
    ...(sharedConcurrency ? { pool: new Pool(sharedConcurrency) } : {}),
  }
}
