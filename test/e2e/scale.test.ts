import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from '../emulator/index.js'
import { runAction } from '../support/run-action.js'

/** An outage's worth of errors, hundreds of log groups, and a cancelled job, through the bundle. */

let emulator: Emulator | undefined

afterEach(async () => {
  await emulator?.stop()
  emulator = undefined
})

function credentialsEnv(emu: Emulator): Record<string, string> {
  return {
    ...emu.env,
    AWS_ACCESS_KEY_ID: emu.defaultCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emu.defaultCredentials.secretAccessKey,
  }
}

function errorLine(id: string, status = 502): string {
  return JSON.stringify({
    requestId: id,
    httpMethod: 'GET',
    resourcePath: '/items/{id}',
    status: String(status),
  })
}

function resultIds(file: string | undefined): string[] {
  return readFileSync(file ?? '', 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(JSON.parse(line).fields['@message']).requestId as string)
}

describe('an outage', () => {
  it('reports 100,000 matches exactly from a service that caps each query at 10,000 rows without nextToken', async () => {
    emulator = await startEmulator({
      region: 'eu-west-1',
      queryLatencyMs: 50,
      nextToken: false,
      maxRowsPerQuery: 10_000,
    })
    const group = '/aws/apigateway/prod-access'
    const now = Date.now()
    // 100,000 errors over the 4 minutes before the window's end, several in most milliseconds' seconds.
    const events = Array.from({ length: 100_000 }, (_, i) => ({
      timestamp: now - 70_000 - Math.floor((i * 240_000) / 100_000),
      message: errorLine(`r${i}`, i % 3 === 0 ? 503 : 404),
    }))
    emulator.putLogEvents(group, events.reverse())

    const run = await runAction({
      inputs: {
        'log-group-names': group,
        'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
        state: 'none',
      },
      env: credentialsEnv(emulator),
      timeoutMs: 180_000,
    })

    expect(run.exitCode, run.stdout.slice(-3000)).toBe(0)
    expect(run.outputs['match-count']).toBe('100000')
    expect(run.outputs.truncated).toBe('false')
    const ids = resultIds(run.outputs['results-file'])
    expect(ids).toHaveLength(100_000)
    expect(new Set(ids).size).toBe(100_000)
    expect(emulator.slackPosts('alerts')).toHaveLength(1)
  }, 180_000)
})

describe('hundreds of log groups', () => {
  const groups = Array.from({ length: 120 }, (_, i) => `/aws/apigateway/api-${String(i).padStart(3, '0')}`)

  async function seededEmulator(): Promise<Emulator> {
    const emu = await startEmulator({ region: 'eu-west-1', queryLatencyMs: 200 })
    const now = Date.now()
    for (const [i, group] of groups.entries()) {
      emu.putLogEvents(group, [{ timestamp: now - 120_000, message: errorLine(group, 500 + (i % 4)) }])
    }
    return emu
  }

  it('queries 120 groups in three queries of at most 50, merged into one digest and one message', async () => {
    emulator = await seededEmulator()
    const run = await runAction({
      inputs: {
        'log-group-names': groups.join('\n'),
        'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
        state: 'none',
      },
      env: credentialsEnv(emulator),
    })
    expect(run.exitCode, run.stdout.slice(-3000)).toBe(0)
    const starts = emulator.calls.filter((call) => call.service === 'logs' && call.action === 'StartQuery')
    const sizes = (baseline: boolean) =>
      starts
        .map((call) => call.body as { logGroupNames: string[]; queryString: string })
        .filter((body) => body.queryString.includes('stats count(*) as requests') === baseline)
        .map((body) => body.logGroupNames.length)
    expect(sizes(false).sort((a, b) => b - a)).toEqual([50, 50, 20])
    // It alerted: the baseline a week earlier is one aggregate query per batch, too.
    expect(sizes(true).sort((a, b) => b - a)).toEqual([50, 50, 20])
    expect(run.outputs['match-count']).toBe('120')
    expect(run.outputs['query-ids']?.split(',')).toHaveLength(3)
    expect(emulator.slackPosts('alerts')).toHaveLength(1)
  })

  it('reports the batches that worked when one fails, then fails the step naming the one that did not', async () => {
    emulator = await seededEmulator()
    emulator.failNextQuery('Failed')
    const run = await runAction({
      inputs: {
        'log-group-names': groups.join('\n'),
        'slack-webhook-url': emulator.slackWebhookUrl('alerts'),
        state: 'none',
        'notify-on-error': 'false',
      },
      env: credentialsEnv(emulator),
    })
    expect(run.exitCode).toBe(1)
    const failure =
      /::error::1 of 3 query batches failed; the others were reported\. batch (\d) \(([^)]*)\)/.exec(
        run.stdout,
      )
    expect(failure, run.stdout.slice(-2000)).not.toBeNull()
    const failedBatch = Number(failure?.[1]) - 1
    const failedGroups = groups.slice(failedBatch * 50, failedBatch * 50 + 50)
    expect(failure?.[2], run.stdout.slice(-1500)).toMatch(new RegExp(`^${failedGroups[0]}`))
    const reported = resultIds(run.outputs['results-file'])
    expect(reported.sort()).toEqual(groups.filter((group) => !failedGroups.includes(group)).sort())
    expect(emulator.slackPosts('alerts')).toHaveLength(1)
  })
})

describe('cancellation', () => {
  it('stops the running query with StopQuery when the job is cancelled (SIGTERM)', async () => {
    emulator = await startEmulator({ region: 'eu-west-1', queryLatencyMs: 60_000 })
    emulator.createLogGroup('/aws/apigateway/prod-access')
    const run = await runAction({
      inputs: { 'log-group-names': '/aws/apigateway/prod-access', state: 'none' },
      env: credentialsEnv(emulator),
      signal: { name: 'SIGTERM', afterMs: 2500 },
    })
    expect(run.exitCode).not.toBe(0)
    const stops = emulator.calls.filter((call) => call.service === 'logs' && call.action === 'StopQuery')
    expect(stops).toHaveLength(1)
    expect(stops[0]?.status).toBe(200)
    expect(run.stdout).toContain('Received SIGTERM')
  })
})
