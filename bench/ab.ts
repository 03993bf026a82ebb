/**
 * `npm run bench:ab -- <git revision> [runs]`: the bundle of another revision against this one,
 * alternately, so both meet the same load on a shared machine. Each run: cold start (default chain)
 * → StartQuery, and the wall time of a run whose query takes 2 s, against the emulator under Node 24.
 * For "within noise of before" after a change that should not move the figures.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmulator } from '../test/emulator/index.js'
import { node24Path } from '../test/support/node24.js'
import { distEntry } from '../test/support/run-action.js'
import { root, runProcess } from './lib.js'

const [revision, runsText = '15'] = process.argv.slice(2)
if (!revision) throw new Error('usage: npm run bench:ab -- <git revision> [runs]')
const runs = Math.max(1, Number(runsText))
const REGION = 'eu-west-1'
const GROUP = '/aws/apigateway/prod-access'
const node = node24Path()

// The other revision's dist/, as committed.
const other = mkdtempSync(join(tmpdir(), 'insights-watch-ab-'))
execFileSync('sh', ['-c', `git -C "${root}" archive "${revision}" dist | tar -x -C "${other}"`])
const bundles = { [revision]: join(other, 'dist/index.js'), current: distEntry }

async function once(script: string, latencyMs: number): Promise<{ toStartQuery: number; wall: number }> {
  const emulator = await startEmulator({ region: REGION, queryLatencyMs: latencyMs })
  const now = Date.now()
  emulator.putLogEvents(
    GROUP,
    Array.from({ length: 8 }, (_, i) => ({
      timestamp: now - 190_000 + i * 10_000,
      message: JSON.stringify({
        requestId: `ab-${i}`,
        status: i % 2 ? '502' : '404',
        httpMethod: 'GET',
        resourcePath: '/orders',
      }),
    })),
  )
  const run = await runProcess({
    node,
    script,
    inputs: {
      'log-group-names': GROUP,
      'aws-region': REGION,
      interval: '300s',
      state: 'none',
      thresholds: '1',
      'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
    },
    env: {
      ...emulator.env,
      AWS_ACCESS_KEY_ID: emulator.defaultCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emulator.defaultCredentials.secretAccessKey,
    },
  })
  await emulator.stop()
  run.cleanup()
  if (run.exitCode !== 0) throw new Error(`${script} exited ${run.exitCode}`)
  const start = emulator.calls.find((call) => call.service === 'logs' && call.action === 'StartQuery')
  return { toStartQuery: (start?.at ?? Number.NaN) - run.spawnedAt, wall: run.exitedAt - run.spawnedAt }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

const figures: Record<string, { toStartQuery: number[]; wall: number[] }> = {}
for (const name of Object.keys(bundles)) figures[name] = { toStartQuery: [], wall: [] }
try {
  for (let i = 0; i < runs; i++) {
    for (const [name, script] of i % 2 ? Object.entries(bundles).reverse() : Object.entries(bundles)) {
      const cold = await once(script, 100)
      const slow = await once(script, 2000)
      figures[name]?.toStartQuery.push(cold.toStartQuery)
      figures[name]?.wall.push(slow.wall)
    }
  }
} finally {
  rmSync(other, { recursive: true, force: true })
}
console.log(
  `${runs} alternating runs each, Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}`,
)
console.log('bundle | cold start → StartQuery (median) | wall time, 2 s query (median)')
for (const [name, { toStartQuery, wall }] of Object.entries(figures)) {
  console.log(`${name} | ${Math.round(median(toStartQuery))} ms | ${Math.round(median(wall))} ms`)
}
