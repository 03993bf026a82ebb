/**
 * `npm run emulator`: the local emulator (CloudWatch Logs, STS, GitHub's OIDC endpoint, Slack webhooks)
 * as a standalone server, for running `src/main.ts` under `@github/local-action` (or anything else that
 * honours the SDK's endpoint variables) without AWS or Slack.
 *
 *   terminal 1: npm run emulator
 *   terminal 2: npm run local-action     (the pinned devDependency: local-action . src/main.ts .env)
 *
 * It serves on a fixed port (4599, or $EMULATOR_PORT) so that a `.env` can name it once: the emulator
 * itself listens on a random port and this script forwards the fixed one to it, byte for byte (SigV4
 * signs the Host header the client sent, which the forwarder leaves as it was). It seeds an hour of
 * API Gateway access logs before now and an hour after it, each event ingested when it happens, so
 * every run finds fresh entries; it writes `.env` from `.env.example` when there is none, prints each
 * request it answers and each Slack message it receives (a webhook's, or a bot token's card and
 * replies), and runs until Ctrl-C.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { connect, createServer, type Socket } from 'node:net'
import { join, resolve } from 'node:path'
import { type Call, startEmulator } from '../test/emulator/index.js'
import { accessLogs } from '../test/support/access-logs.js'
import { bold, dim, renderSlackMessage } from './terminal.js'

const root = resolve(import.meta.dirname, '..')
const DEFAULT_PORT = 4599
const REGION = 'eu-west-1'
const REST_GROUP = '/aws/apigateway/shop-rest-access'
const HTTP_GROUP = '/aws/apigateway/shop-http-access'
/** The webhook name `.env.example` posts to. */
const WEBHOOK = 'local-action'
const HOUR = 3_600_000

const port = Number(process.env.EMULATOR_PORT ?? DEFAULT_PORT)
if (!Number.isInteger(port) || port < 1 || port > 65_535) {
  console.error(`EMULATOR_PORT="${process.env.EMULATOR_PORT}" is not a TCP port number.`)
  process.exit(2)
}

const emulator = await startEmulator({ region: REGION, queryLatencyMs: 1200 })
const upstreamPort = Number(new URL(emulator.url).port)

// The fixed port, forwarded to the emulator's random one.
const sockets = new Set<Socket>()
const forwarder = createServer((client) => {
  const upstream = connect(upstreamPort, '127.0.0.1')
  for (const socket of [client, upstream]) {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  }
  client.on('error', () => upstream.destroy())
  upstream.on('error', () => client.destroy())
  client.pipe(upstream).pipe(client)
})
try {
  await new Promise<void>((resolvePromise, reject) => {
    forwarder.once('error', reject)
    forwarder.listen(port, '127.0.0.1', () => resolvePromise())
  })
} catch (error) {
  await emulator.stop()
  const code = (error as { code?: string }).code
  console.error(
    code === 'EADDRINUSE'
      ? `Port ${port} is in use (another \`npm run emulator\`?). Stop it, or pick another port: EMULATOR_PORT=4600 npm run emulator (and change the URLs in .env to match).`
      : `Could not listen on 127.0.0.1:${port}: ${String(error)}`,
  )
  process.exit(1)
}
const url = `http://127.0.0.1:${port}`

// An hour of traffic before now and an hour after it, each event ingested a few seconds after it
// happens (as API Gateway delivers access logs); another hour is added before the last one runs out.
const started = Date.now()
let seededUntil = started - HOUR
let chunk = 0
function seedNextHour(): number {
  const from = seededUntil
  const to = from + HOUR
  const ingested = (events: Array<{ timestamp: number; message: string }>) =>
    events.map((event) => ({ ...event, ingestionTime: event.timestamp + 2000 + (event.timestamp % 3000) }))
  const rest = accessLogs({ from, to, format: 'rest', seed: 11 + chunk })
  const http = accessLogs({ from, to, format: 'http', seed: 23 + chunk, meanGapMs: 3000 })
  emulator.putLogEvents(REST_GROUP, ingested(rest))
  emulator.putLogEvents(HTTP_GROUP, ingested(http))
  seededUntil = to
  chunk += 1
  return rest.length + http.length
}
const seeded = seedNextHour() + seedNextHour()
const topUp = setInterval(() => {
  if (seededUntil - Date.now() < HOUR / 2) seedNextHour()
}, 60_000)

const env: Array<[string, string]> = [
  ['AWS_ENDPOINT_URL_CLOUDWATCH_LOGS', url],
  ['AWS_ENDPOINT_URL_STS', url],
  ['AWS_REGION', REGION],
  ['AWS_ACCESS_KEY_ID', emulator.defaultCredentials.accessKeyId],
  ['AWS_SECRET_ACCESS_KEY', emulator.defaultCredentials.secretAccessKey],
  ['AWS_PROFILE', ''],
]
const webhookUrl = `${url}/services/T000/B000/${WEBHOOK}`

console.log(
  `${bold('insights-watch emulator')} on ${url} (CloudWatch Logs, STS, Slack webhooks), region ${REGION}`,
)
console.log(
  `Log groups ${REST_GROUP} (REST API) and ${HTTP_GROUP} (HTTP API): ${seeded} access-log events from an hour ago to an hour ahead, each visible once it has happened.`,
)
console.log(`\n${bold('The variables a .env needs')} (besides the INPUT_* ones, see .env.example):`)
for (const [name, value] of env) {
  const note =
    name === 'AWS_PROFILE' ? dim('   (empty: a profile in your shell would win over the keys)') : ''
  console.log(`  ${name}=${value}${note}`)
}
console.log(`  INPUT_SLACK-WEBHOOK-URL=${webhookUrl}   ${dim('(optional; any name after /B000/ works)')}`)
console.log(dim('  No ACTIONS_ID_TOKEN_REQUEST_*: @github/local-action cannot issue OIDC tokens, so leave'))
console.log(dim('  role-to-assume empty and the run uses the default credential chain (the keys above).'))

// `.env` is the user's (and gitignored): written from .env.example only when there is none.
const dotenv = join(root, '.env')
const example = join(root, '.env.example')
if (!existsSync(dotenv) && existsSync(example)) {
  writeFileSync(
    dotenv,
    readFileSync(example, 'utf8').replaceAll(`127.0.0.1:${DEFAULT_PORT}`, `127.0.0.1:${port}`),
  )
  console.log(`\nWrote ${bold('.env')} from .env.example.`)
} else if (existsSync(dotenv)) {
  const text = readFileSync(dotenv, 'utf8')
  const checked = ['AWS_ENDPOINT_URL_CLOUDWATCH_LOGS', 'AWS_ENDPOINT_URL_STS', 'AWS_ACCESS_KEY_ID']
  const stale = env
    .filter(([name]) => checked.includes(name))
    .filter(([name, value]) => !new RegExp(`^${name}=${escapeRegExp(value)}\\s*$`, 'm').test(text))
  if (stale.length > 0) {
    console.log(
      `\n${bold('Your .env does not point at this emulator')}; it is left as it is. To run against the emulator, set in it:`,
    )
    for (const [name, value] of stale) console.log(`  ${name}=${value}`)
    console.log(`  ${dim(`(and 127.0.0.1:${port} in INPUT_SLACK-WEBHOOK-URL, if it posts to the emulator)`)}`)
  } else {
    console.log('\n.env points at this emulator.')
  }
}
// .env.example puts the job summary here; the step-summary file's directory must exist.
mkdirSync(join(root, '.cache', 'local-action'), { recursive: true })

console.log(
  `\n${bold('In another terminal:')}  npm run local-action   ${dim('(local-action . src/main.ts .env)')}`,
)
console.log(dim('Requests and Slack messages show up below. Ctrl-C stops the emulator.\n'))

// What reaches the emulator, as it happens.
let printed = 0
const watcher = setInterval(() => {
  for (; printed < emulator.calls.length; printed++) {
    const call = emulator.calls[printed] as Call
    console.log(describeCall(call))
    if (call.service === 'slack') {
      const post = emulator.slackPosts(decodeURIComponent(call.action)).at(-1)
      if (post?.body)
        console.log(`${renderSlackMessage(post.body as Parameters<typeof renderSlackMessage>[0])}\n`)
    }
    // A bot token's card or reply, once Slack's Web API took it.
    const answer = call.response as { ok?: boolean } | undefined
    if (call.service === 'slack-api' && call.action.startsWith('chat.') && answer?.ok && call.body) {
      console.log(`${renderSlackMessage(call.body as Parameters<typeof renderSlackMessage>[0])}\n`)
    }
  }
}, 200)

function describeCall(call: Call): string {
  const time = new Date().toISOString().slice(11, 19)
  const response = call.response as
    | { status?: string; __type?: string; message?: string; ok?: boolean; error?: string }
    | undefined
  let detail = ''
  if (call.service === 'slack-api') detail = response?.ok === false ? (response.error ?? '') : ''
  else if (call.status >= 400)
    detail = typeof call.response === 'string' ? call.response : (response?.message ?? '')
  else if (call.action === 'GetQueryResults') detail = response?.status ?? ''
  else if (call.action === 'StartQuery') {
    const body = call.body as { startTime?: number; endTime?: number } | undefined
    if (body?.startTime !== undefined && body.endTime !== undefined) {
      detail = `${iso(body.startTime)} – ${iso(body.endTime)}`
    }
  }
  const key = call.accessKeyId ? dim(` ${call.accessKeyId}`) : ''
  return `${dim(time)} ${call.service.padEnd(5)} ${call.action.padEnd(26)} ${call.status}${key} ${detail}`.trimEnd()
}

function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

let stopping = false
async function stop(): Promise<void> {
  if (stopping) return
  stopping = true
  clearInterval(topUp)
  clearInterval(watcher)
  for (const socket of sockets) socket.destroy()
  await new Promise<void>((resolvePromise) => forwarder.close(() => resolvePromise()))
  await emulator.stop()
  console.log(`\nEmulator stopped after answering ${emulator.calls.length} requests.`)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
