/**
 * `npm run demo`: the action end to end with no AWS account, no Slack and no network.
 *
 * Starts the local emulator (CloudWatch Logs, STS, GitHub's OIDC endpoint, Slack webhooks) with an hour
 * of API Gateway access logs, runs dist/index.js the way a runner does, and shows what a person would
 * see: the Slack message, the job summary and the step outputs.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { startEmulator } from '../test/emulator/index.js'
import { accessLogs } from '../test/support/access-logs.js'
import { distFreshness, runAction } from '../test/support/run-action.js'
import { renderSlackPreviewHtml, renderSummaryPreviewHtml } from './preview.js'
import { bold, dim, renderSlackMessage, renderSummary } from './terminal.js'

const root = resolve(import.meta.dirname, '..')
const outDir = join(root, 'demo-output')
const REST_GROUP = '/aws/apigateway/shop-rest-access'
const HTTP_GROUP = '/aws/apigateway/shop-http-access'
const started = Date.now()

// By content (dist/build-inputs.sha256): a fresh clone runs the committed dist/ at once.
const freshness = distFreshness()
if (freshness.stale) {
  console.log(dim(`Building dist/ (${freshness.reason})…`))
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
}

const emulator = await startEmulator({ region: 'eu-west-1', queryLatencyMs: 1200 })
try {
  const now = Date.now()
  const hourAgo = now - 3_600_000
  const rest = accessLogs({ from: hourAgo, to: now, format: 'rest', seed: 11 })
  const http = accessLogs({ from: hourAgo, to: now, format: 'http', seed: 23, meanGapMs: 3000 })
  emulator.putLogEvents(REST_GROUP, rest)
  emulator.putLogEvents(HTTP_GROUP, http)
  console.log(
    `${bold('Emulator')} ${emulator.url}: ${rest.length + http.length} API Gateway access-log events over the last hour in ${REST_GROUP} (REST) and ${HTTP_GROUP} (HTTP API).`,
  )
  console.log(
    dim(
      `Running dist/index.js under ${process.version} with the OIDC role, a 1h interval and one Slack webhook…\n`,
    ),
  )

  const run = await runAction({
    node: process.execPath,
    inputs: {
      'log-group-names': `${REST_GROUP}\n${HTTP_GROUP}`,
      'aws-region': 'eu-west-1',
      'role-to-assume': emulator.roleArn,
      interval: '1h',
      'max-catch-up': '2h',
      'monitor-name': 'shop-api (demo)',
      mention: '<!here>',
      'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
    },
    env: emulator.env,
  })

  mkdirSync(outDir, { recursive: true })
  const post = emulator.slackPosts('alerts')[0]
  const files = {
    message: join(outDir, 'slack-message.json'),
    summary: join(outDir, 'job-summary.html'),
    log: join(outDir, 'action.log'),
    slackPreview: join(outDir, 'slack-preview.html'),
    summaryPreview: join(outDir, 'job-summary-preview.html'),
  }
  writeFileSync(files.log, run.stdout + run.stderr)
  writeFileSync(files.summary, run.summary)
  writeFileSync(files.summaryPreview, renderSummaryPreviewHtml(run.summary))
  if (post) {
    writeFileSync(files.message, `${JSON.stringify(post.body, null, 2)}\n`)
    writeFileSync(
      files.slackPreview,
      renderSlackPreviewHtml(post.body as Parameters<typeof renderSlackPreviewHtml>[0]),
    )
  }

  const rule = (title: string) =>
    console.log(`\n${bold(`━━ ${title} ${'━'.repeat(Math.max(0, 70 - title.length))}`)}`)
  rule('Slack message')
  if (post) {
    console.log(renderSlackMessage(post.body as Parameters<typeof renderSlackMessage>[0]))
    console.log(
      dim(
        `raw JSON: ${relative(process.cwd(), files.message)} (Slack answered ${post.status} ${post.response})`,
      ),
    )
  } else {
    console.log('No message was posted.')
  }
  rule('Job summary')
  console.log(renderSummary(run.summary))
  console.log(dim(`HTML: ${relative(process.cwd(), files.summary)}`))
  rule('Step outputs')
  for (const [name, value] of Object.entries(run.outputs)) console.log(`${name.padEnd(15)} ${value}`)
  console.log(dim(`\nThe action's log: ${relative(process.cwd(), files.log)}`))
  console.log(
    dim(
      `Previews to open in a browser: ${post ? `${relative(process.cwd(), files.slackPreview)} and ` : ''}${relative(process.cwd(), files.summaryPreview)}`,
    ),
  )
  console.log(
    `${run.exitCode === 0 ? bold('Run succeeded') : bold(`Run failed (exit ${run.exitCode})`)} in ${((Date.now() - started) / 1000).toFixed(1)} s; ${emulator.calls.length} requests reached the emulator, none left this machine.`,
  )
  if (run.exitCode !== 0) {
    console.log(run.stdout)
    process.exitCode = 1
  }
} finally {
  await emulator.stop()
}
