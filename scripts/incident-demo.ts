/**
 * `npm run demo:incident`: bot-token mode against the built-in emulator. Six runs of one incident on
 * a shifted clock (it opens on 4xx, escalates to 5xx, goes quiet, resolves), then writes the card and
 * its thread as the emulator's preview pages:
 * - demo-output/incident-firing.html: the card after the escalation, with its thread so far;
 * - demo-output/incident-resolved.html: the same card once resolved, with the whole thread.
 * `npm run screenshots` takes the README's pictures of them.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { distFreshness } from '../test/support/run-action.js'
import { startTimeline } from '../test/support/timeline.js'

const root = resolve(import.meta.dirname, '..')
const outDir = join(root, 'demo-output')
const MINUTE = 60_000
const GROUP = '/aws/apigateway/prod-access'
const CHANNEL = '#alerts'
const ROUTES = ['/orders', '/orders/{id}', '/payments', '/users/{id}/cart']

const freshness = distFreshness()
if (freshness.stale) {
  console.log(`dist/ is stale (${freshness.reason}): building it first.`)
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
}

const timeline = await startTimeline({ region: 'eu-west-1', queryLatencyMs: 100 })
const { emulator, t0 } = timeline
emulator.createLogGroup(GROUP)
const stateFile = join(mkdtempSync(join(tmpdir(), 'insights-watch-incident-demo-')), 'state.json')

let sequence = 0
function logErrors(atMs: number, statuses: number[]): void {
  emulator.putLogEvents(
    GROUP,
    statuses.map((status, i) => ({
      timestamp: t0 + atMs + i * 7000,
      ingestionTime: t0 + atMs + i * 7000,
      message: JSON.stringify({
        requestId: `c0ffee${String(sequence).padStart(2, '0')}-4b1d-4e7a-9a55-${String(sequence++).padStart(12, '0')}`,
        httpMethod: i % 3 === 0 ? 'GET' : 'POST',
        resourcePath: ROUTES[i % ROUTES.length],
        status: String(status),
        responseLatency: String(40 + ((i * 37) % 900)),
      }),
    })),
  )
}

logErrors(-4 * MINUTE, [404, 401, 404, 403, 404, 429, 404])
logErrors(1 * MINUTE, [404, 404, 401, 404, 429, 404])
logErrors(6 * MINUTE, [502, 503, 502, 404, 500, 504])
logErrors(11 * MINUTE, [404, 401, 404, 404, 403, 404])

const inputs = {
  'log-group-names': GROUP,
  'aws-region': 'eu-west-1',
  state: `file:${stateFile}`,
  'monitor-name': 'api-errors / watch',
  'slack-bot-token': emulator.slackApi.token,
  'slack-channel': CHANNEL,
  thresholds: '5xx=1, 4xx=5',
  mention: '<!here>',
  'resolve-after': '8m',
  // Short replies, so the thread's picture shows several of them.
  'max-samples': '3',
}
const env = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/api', GITHUB_RUN_ID: '4242' }

mkdirSync(outDir, { recursive: true })
const written: string[] = []
try {
  for (const minute of [0, 5, 10, 15, 20, 25]) {
    const run = await timeline.runAt(minute * MINUTE, inputs, env)
    console.log(
      `+${minute} min: incident ${run.outputs['incident-state'] || '(none)'} (exit ${run.exitCode})`,
    )
    if (run.exitCode !== 0) throw new Error(`The run at +${minute} min failed:\n${run.stdout}`)
    const card = emulator.slackApi.messages(CHANNEL)[0]
    if (!card) continue
    const page = minute === 10 ? 'incident-firing.html' : minute === 25 ? 'incident-resolved.html' : undefined
    if (!page) continue
    const path = join(outDir, page)
    writeFileSync(path, emulator.slackApi.previewHtml(CHANNEL, card.ts, { time: '10:42 AM' }))
    written.push(relative(process.cwd(), path))
  }
} finally {
  await emulator.stop()
}
const counts = emulator.slackApi.counts(CHANNEL)
console.log(`Slack: ${counts.posts} card, ${counts.updates} edits, ${counts.replies} thread replies.`)
for (const path of written) console.log(`wrote ${path}`)
