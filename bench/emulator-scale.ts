/**
 * The emulator at end-to-end scale: time and RSS to seed 1,000,000 access-log events into one log
 * group from a handful of message strings, then a stats query and a records query (5,000 rows)
 * through the real SDK, one after the other, then the end-to-end test's records and stats queries at
 * once. `npx tsx bench/emulator-scale.ts`; not part of
 * `npm run bench`.
 */
import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import { startEmulator } from '../test/emulator/index.js'

const EVENTS = 1_000_000
/** RSS now, and the most it has been (maxRSS is in KiB). */
const mb = () =>
  `RSS ${Math.round(process.memoryUsage().rss / 1e6)} MB (peak ${Math.round((process.resourceUsage().maxRSS * 1024) / 1e6)} MB)`

const t0 = Date.now()
const emulator = await startEmulator({ queryLatencyMs: 0 })
const now = Date.now()
const messages = [200, 200, 404, 502].flatMap((status) =>
  ['/v2/checkout', '/v2/items'].map(
    (path) => `{"status":${status},"httpMethod":"GET","resourcePath":"${path}"}`,
  ),
)
const events = []
for (let i = 0; i < EVENTS; i++) {
  // Ten runs of ascending timestamps (so the first query sorts them); every 200th a 502.
  const message = (i % 200 === 0 ? messages[6] : messages[i % 2]) as string
  events.push({ timestamp: now - 200_000 + (i % 100_000), message })
}
emulator.putLogEvents('/g', events)
console.log(`seeded ${EVENTS} events: ${Date.now() - t0} ms, ${mb()}`)

const client = new CloudWatchLogsClient({
  endpoint: emulator.url,
  region: 'us-east-1',
  credentials: emulator.defaultCredentials,
})
/** Starts a query over the last 300 s, polls it every 50 ms until it ends, and reads every page. */
async function run(queryString: string): Promise<void> {
  const started = Date.now()
  const { queryId } = await client.send(
    new StartQueryCommand({
      logGroupNames: ['/g'],
      startTime: Math.floor(now / 1000) - 300,
      endTime: Math.floor(now / 1000),
      queryString,
    }),
  )
  let result: GetQueryResultsCommandOutput
  do {
    await new Promise((resolve) => setTimeout(resolve, 50))
    result = await client.send(new GetQueryResultsCommand({ queryId }))
  } while (result.status !== 'Complete' && result.status !== 'Failed')
  let rows = result.results?.length ?? 0
  while (result.nextToken) {
    result = await client.send(new GetQueryResultsCommand({ queryId, nextToken: result.nextToken }))
    rows += result.results?.length ?? 0
  }
  console.log(`${queryString}: ${result.status}, ${rows} rows, ${Date.now() - started} ms, ${mb()}`)
}

await run('stats count(*) as requests by httpMethod, resourcePath')
await run('fields @timestamp, @message | filter status >= 500')
// The end-to-end test's pair, at once.
const from = now - 200_000
await Promise.all([
  run('fields @timestamp, @message, @log | filter status >= 400 | sort @timestamp desc'),
  run(
    `filter toMillis(@timestamp) >= ${from} and toMillis(@timestamp) < ${now} | stats count(*) as requests by httpMethod, resourcePath, routeKey`,
  ),
])
await emulator.stop()
