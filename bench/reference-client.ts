/**
 * The floor for `npm run bench`: the least a client can do to get the same result as insights-watch
 * from the same service. The bare SDK calls (StartQuery, GetQueryResults polled at a tight interval,
 * nextToken pages when the service offers them, the window split by time only when a query returned
 * fewer rows than it matched) and one Slack POST per webhook with fetch. Nothing else: no settings
 * validation, no checkpoint, no dedup, no digest, no summary, no results file, no retries of its own,
 * no rate-limit care (it polls faster than GetQueryResults' 5 TPS quota allows).
 *
 * Bundled with ncc like the action (the bench builds it into a temporary directory) and run under
 * Node 24. Configured by environment variables the bench sets:
 *   REF_LOG_GROUPS      comma-separated log group names
 *   REF_QUERY           the Insights query
 *   REF_INTERVAL_SECONDS, REF_DELAY_SECONDS   the window: [now − delay − interval, now − delay]
 *   REF_WEBHOOKS        newline-separated Slack webhook URLs (may be empty)
 *   REF_ROLE_ARN        when set: the OIDC token is fetched and the role assumed (fromWebToken)
 *   AWS_REGION, AWS_ENDPOINT_URL_*, ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, AWS_ACCESS_KEY_ID, …
 * Prints one JSON line: { rows, recordsMatched, queries, posts }.
 */
import {
  CloudWatchLogsClient,
  GetQueryResultsCommand,
  type GetQueryResultsCommandOutput,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import { fromWebToken } from '@aws-sdk/credential-provider-web-identity'

/** Tight on purpose: the floor for poll lag (a real account would be throttled at 5 TPS). */
const POLL_INTERVAL_MS = 50

interface Totals {
  rows: number
  recordsMatched: number
  queries: number
}

const env = process.env
const region = env.AWS_REGION ?? 'us-east-1'
const logGroupNames = (env.REF_LOG_GROUPS ?? '').split(',').filter(Boolean)
const queryString = env.REF_QUERY ?? ''
const webhooks = (env.REF_WEBHOOKS ?? '').split('\n').filter(Boolean)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function oidcCredentials(roleArn: string) {
  const response = await fetch(`${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=sts.amazonaws.com`, {
    headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
  })
  const { value } = (await response.json()) as { value: string }
  return fromWebToken({
    roleArn,
    webIdentityToken: value,
    roleSessionName: 'reference',
    clientConfig: { region },
  })
}

async function query(client: CloudWatchLogsClient, start: number, end: number): Promise<Totals> {
  const { queryId } = await client.send(
    new StartQueryCommand({ logGroupNames, startTime: start, endTime: end, queryString }),
  )
  let response: GetQueryResultsCommandOutput
  do {
    await sleep(POLL_INTERVAL_MS)
    response = await client.send(new GetQueryResultsCommand({ queryId }))
  } while (response.status === 'Scheduled' || response.status === 'Running')
  if (response.status !== 'Complete') throw new Error(`query ${queryId} ended ${response.status}`)
  let rows = response.results?.length ?? 0
  let nextToken = response.nextToken
  while (nextToken) {
    const page = await client.send(new GetQueryResultsCommand({ queryId, nextToken }))
    rows += page.results?.length ?? 0
    nextToken = page.nextToken
  }
  return { rows, recordsMatched: response.statistics?.recordsMatched ?? 0, queries: 1 }
}

/** Whole seconds, both ends inclusive: parts meet at s and s + 1, nothing lost or counted twice. */
async function collect(client: CloudWatchLogsClient, start: number, end: number): Promise<Totals> {
  const whole = await query(client, start, end)
  if (whole.rows >= whole.recordsMatched || start === end) return whole
  // Capped: split into enough parts that each should fit, in parallel; a part that still does not fit
  // is split again.
  const parts = Math.min(end - start + 1, Math.ceil((1.25 * whole.recordsMatched) / Math.max(1, whole.rows)))
  const width = (end - start + 1) / parts
  const ranges: Array<[number, number]> = []
  for (let i = 0; i < parts; i++) {
    const from = start + Math.floor(i * width)
    const to = i === parts - 1 ? end : start + Math.floor((i + 1) * width) - 1
    if (from <= to) ranges.push([from, to])
  }
  const results = await Promise.all(ranges.map(([from, to]) => collect(client, from, to)))
  return results.reduce(
    (sum, part) => ({
      rows: sum.rows + part.rows,
      recordsMatched: sum.recordsMatched + part.recordsMatched,
      queries: sum.queries + part.queries,
    }),
    { rows: 0, recordsMatched: 0, queries: whole.queries },
  )
}

async function main(): Promise<void> {
  const roleArn = env.REF_ROLE_ARN
  const client = new CloudWatchLogsClient(
    roleArn ? { region, credentials: await oidcCredentials(roleArn) } : { region },
  )
  const end = Math.floor(Date.now() / 1000) - Number(env.REF_DELAY_SECONDS ?? 60)
  const start = end - Number(env.REF_INTERVAL_SECONDS ?? 300)
  const totals = await collect(client, start, end)
  client.destroy()
  let posts = 0
  if (totals.rows > 0) {
    await Promise.all(
      webhooks.map(async (url) => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            text: `${totals.rows} matching entries (${totals.recordsMatched} matched)`,
          }),
        })
        if (response.ok) posts += 1
        await response.text()
      }),
    )
  }
  process.stdout.write(`${JSON.stringify({ ...totals, posts })}\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(
    `reference client: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exitCode = 1
})
