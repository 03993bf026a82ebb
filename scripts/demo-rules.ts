/**
 * `npm run demo:rules`: a rules file (docs/insights-watch.example.yml's shape) run in one step, with no
 * AWS account, no Slack and no network: three monitors over their own log groups, each with its own
 * webhook, in one run of dist/index.js against the emulator. Shows the summary's overview table, which
 * rules told Slack, and the step outputs; then `backtest: 1h` of the same file.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { startEmulator } from '../test/emulator/index.js'
import { accessLogs } from '../test/support/access-logs.js'
import { distFreshness, runAction } from '../test/support/run-action.js'
import { bold, dim, renderSummary } from './terminal.js'

const root = resolve(import.meta.dirname, '..')
const outDir = join(root, 'demo-output')
const started = Date.now()

const freshness = distFreshness()
if (freshness.stale) {
  console.log(dim(`Building dist/ (${freshness.reason})…`))
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
}

const RULES = `# yaml-language-server: $schema=../schema/insights-watch-rules.schema.json
defaults:
  thresholds: { 5xx: 1, 4xx: 50 }
  interval: 1h
  max-catch-up: 2h
  baseline: none
rules:
  - name: shop (REST)
    log-group-names: /aws/apigateway/shop-rest-access
    slack-webhook-secrets: SLACK_SHOP_WEBHOOK
  - name: shop (HTTP API)
    log-group-names: /aws/apigateway/shop-http-access
    thresholds: { 5xx: 500 }
    slack-webhook-secrets: SLACK_SHOP_WEBHOOK
  - name: search
    log-group-names: /aws/apigateway/search-access
    slack-webhook-secrets: SLACK_SEARCH_WEBHOOK
`

const emulator = await startEmulator({ region: 'eu-west-1', queryLatencyMs: 800 })
try {
  const now = Date.now()
  const hourAgo = now - 3_600_000
  // Each event reached Insights two seconds after it happened, as it would have live: the backtest
  // replays what each scheduled run could have seen by its time.
  const arrived = (events: Array<{ timestamp: number; message: string }>) =>
    events.map((event) => ({ ...event, ingestionTime: event.timestamp + 2000 }))
  emulator.putLogEvents(
    '/aws/apigateway/shop-rest-access',
    arrived(accessLogs({ from: hourAgo, to: now - 5000, format: 'rest', seed: 11 })),
  )
  emulator.putLogEvents(
    '/aws/apigateway/shop-http-access',
    arrived(accessLogs({ from: hourAgo, to: now - 5000, format: 'http', seed: 23, meanGapMs: 3000 })),
  )
  emulator.createLogGroup('/aws/apigateway/search-access')
  mkdirSync(outDir, { recursive: true })
  const rulesFile = join(outDir, 'insights-watch.yml')
  writeFileSync(rulesFile, RULES)
  console.log(`${bold('Rules file')} ${relative(process.cwd(), rulesFile)}:\n${dim(RULES)}`)

  const run = (extra: Record<string, string>) =>
    runAction({
      node: process.execPath,
      inputs: { rules: rulesFile, 'aws-region': 'eu-west-1', 'role-to-assume': emulator.roleArn, ...extra },
      env: {
        ...emulator.env,
        SLACK_SHOP_WEBHOOK: emulator.slackWebhookUrl('shop'),
        SLACK_SEARCH_WEBHOOK: emulator.slackWebhookUrl('search'),
      },
    })
  // A fresh state directory each demo: the first run of each rule, as on the day the file is added.
  const state = `file:${join(mkdtempSync(join(tmpdir(), 'insights-watch-demo-rules-')), 'state.json')}`
  const watched = await run({ state })
  writeFileSync(join(outDir, 'rules-action.log'), watched.stdout + watched.stderr)
  writeFileSync(join(outDir, 'rules-job-summary.html'), watched.summary)

  const section = (title: string) =>
    console.log(`\n${bold(`━━ ${title} ${'━'.repeat(Math.max(0, 70 - title.length))}`)}`)
  section('Job summary (the overview, then a section per rule)')
  console.log(renderSummary(watched.summary).split('\n').slice(0, 12).join('\n'))
  console.log(dim(`…the whole summary: ${relative(process.cwd(), join(outDir, 'rules-job-summary.html'))}`))
  section('Slack')
  for (const hook of ['shop', 'search'])
    console.log(`${hook.padEnd(7)} ${emulator.slackPosts(hook).length} message(s)`)
  section('Step outputs')
  for (const name of ['match-count', 'critical-count', 'alerting-rules', 'failed-rules'])
    console.log(`${name.padEnd(15)} ${watched.outputs[name]}`)

  const backtest = await run({ backtest: '1h', state })
  writeFileSync(join(outDir, 'rules-backtest.log'), backtest.stdout + backtest.stderr)
  writeFileSync(join(outDir, 'rules-backtest-summary.html'), backtest.summary)
  section('backtest: 1h of the same rules (nothing posted)')
  console.log(renderSummary(backtest.summary).split('\n').slice(0, 10).join('\n'))

  const ok = watched.exitCode === 0 && backtest.exitCode === 0
  console.log(
    `\n${ok ? bold('Runs succeeded') : bold('A run failed')} in ${((Date.now() - started) / 1000).toFixed(1)} s; ${emulator.calls.length} requests reached the emulator, none left this machine. The action's log: ${relative(process.cwd(), join(outDir, 'rules-action.log'))}`,
  )
  if (!ok) {
    console.log(watched.stdout, backtest.stdout)
    process.exitCode = 1
  }
} finally {
  await emulator.stop()
}
