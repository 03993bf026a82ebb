import { getIDToken } from '@actions/core'
import {
  CreateLogGroupCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import { fromWebToken } from '@aws-sdk/credential-providers'
import { ConfiguredRetryStrategy } from '@smithy/core/retry'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from './index.js'
import { fakeClock, logsClient, rejection, T0 } from './test-helpers.js'

const GROUP = '/aws/apigateway/prod-access'

let emulator: Emulator

beforeEach(async () => {
  emulator = await startEmulator({ now: fakeClock().now, queryLatencyMs: 0 })
  emulator.createLogGroup(GROUP)
})

afterEach(async () => {
  await emulator.stop()
})

/** The SDK's standard retry decisions, with 1 ms between attempts instead of its backoff. */
function retryingClient(maxAttempts = 3) {
  return logsClient(emulator, { retryStrategy: new ConfiguredRetryStrategy(maxAttempts, 1) })
}

const startQuery = () =>
  new StartQueryCommand({
    logGroupName: GROUP,
    startTime: T0 / 1000 - 60,
    endTime: T0 / 1000,
    queryString: 'fields @message',
  })

function logsStatuses(action: string): number[] {
  return emulator.calls.filter((c) => c.service === 'logs' && c.action === action).map((c) => c.status)
}

describe('Logs faults, as the SDK sees them', () => {
  it('throttles the first N calls of an action; the SDK retries ThrottlingException', async () => {
    emulator.inject({ service: 'logs', action: 'StartQuery', errorType: 'ThrottlingException', times: 2 })
    const client = retryingClient()
    const started = await client.send(startQuery())
    expect(started.queryId).toBeTruthy()
    expect(started.$metadata.attempts).toBe(3)
    expect(logsStatuses('StartQuery')).toEqual([400, 400, 200])
    expect(emulator.calls[0]?.response).toEqual({ __type: 'ThrottlingException', message: 'Rate exceeded' })
    client.destroy()
  })

  it('surfaces the injected error type and status when retries run out', async () => {
    emulator.inject({
      service: 'logs',
      action: 'StartQuery',
      errorType: 'ServiceUnavailableException',
      times: 5,
    })
    const client = retryingClient(2)
    const error = await rejection(client.send(startQuery()))
    expect(error.name).toBe('ServiceUnavailableException')
    expect(error.$metadata).toMatchObject({ httpStatusCode: 500, attempts: 2 })
    client.destroy()
  })

  it('LimitExceededException is a throttle the SDK retries', async () => {
    emulator.inject({ service: 'logs', action: 'StartQuery', errorType: 'LimitExceededException' })
    const client = retryingClient()
    await client.send(startQuery())
    expect(logsStatuses('StartQuery')).toEqual([400, 200])
    client.destroy()
  })

  it('drops the connection of one call; the SDK retries it as a transient error', async () => {
    const client = retryingClient()
    const { queryId } = await client.send(startQuery())
    emulator.inject({ service: 'logs', action: 'GetQueryResults', dropConnection: true })
    const results = await client.send(new GetQueryResultsCommand({ queryId }))
    expect(results.status).toBe('Complete')
    expect(logsStatuses('GetQueryResults')).toEqual([0, 200])
    client.destroy()
  })

  it('fails on a dropped connection when the client does not retry', async () => {
    emulator.inject({ service: 'logs', dropConnection: true })
    const client = logsClient(emulator)
    const error = await rejection(client.send(new CreateLogGroupCommand({ logGroupName: '/x' })))
    expect(String(error.code ?? error.message)).toMatch(/ECONNRESET|socket hang up/)
    client.destroy()
  })

  it('adds wall-clock latency before answering normally', async () => {
    emulator.inject({ service: 'logs', action: 'StartQuery', latencyMs: 150 })
    const client = logsClient(emulator)
    const started = performance.now()
    await client.send(startQuery())
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
    expect(logsStatuses('StartQuery')).toEqual([200])
    client.destroy()
  })
})

describe('STS and OIDC faults', () => {
  async function token(): Promise<string> {
    const saved = new Map(Object.keys(emulator.env).map((k) => [k, process.env[k]]))
    Object.assign(process.env, emulator.env)
    try {
      return await getIDToken('sts.amazonaws.com')
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
  }

  it('throttles AssumeRoleWithWebIdentity with an STS query-protocol error', async () => {
    emulator.inject({ service: 'sts', action: 'AssumeRoleWithWebIdentity', errorType: 'Throttling' })
    const error = await rejection(
      fromWebToken({
        roleArn: emulator.roleArn,
        webIdentityToken: await token(),
        clientConfig: { region: 'us-east-1', endpoint: emulator.url, maxAttempts: 1 },
      })(),
    )
    expect(error.name).toBe('Throttling')
    expect(error.message).toBe('Rate exceeded')
    expect(error.$metadata).toMatchObject({ httpStatusCode: 400 })
  })

  it('fails the OIDC token request with the injected status', async () => {
    emulator.inject({ service: 'oidc', status: 403, body: 'Resource not accessible by integration' })
    const error = await rejection(token())
    expect(error.message).toContain('403')
    expect(emulator.calls).toMatchObject([{ service: 'oidc', action: 'IdToken', status: 403 }])
  })
})
