import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { getIDToken } from '@actions/core'
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs'
import { fromWebToken } from '@aws-sdk/credential-providers'
import { SignatureV4 } from '@smithy/signature-v4'
import type { Checksum, SourceData } from '@smithy/types'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from './index.js'
import { type FakeClock, fakeClock, logsClient, rejection } from './test-helpers.js'

let emulator: Emulator
let clock: FakeClock

beforeEach(async () => {
  clock = fakeClock()
  emulator = await startEmulator({ now: clock.now })
})

afterEach(async () => {
  await emulator.stop()
})

/** Runs `fn` with the emulator's variables in process.env, then puts the environment back. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = new Map(Object.keys(vars).map((k) => [k, process.env[k]]))
  Object.assign(process.env, vars)
  try {
    return await fn()
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/** node:crypto as the hash the SDK's signer wants (it takes a key for HMAC). */
class NodeSha256 implements Checksum {
  #hash: Hash | Hmac
  constructor(private readonly secret?: SourceData) {
    this.#hash = this.#fresh()
  }
  #fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256')
    const key =
      typeof this.secret === 'string'
        ? Buffer.from(this.secret)
        : ArrayBuffer.isView(this.secret)
          ? Buffer.from(this.secret.buffer, this.secret.byteOffset, this.secret.byteLength)
          : Buffer.from(new Uint8Array(this.secret))
    return createHmac('sha256', key)
  }
  update(data: Uint8Array): void {
    this.#hash.update(data)
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest())
  }
  reset(): void {
    this.#hash = this.#fresh()
  }
}

interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** A POST with exactly these headers (fetch would refuse to set Host). */
function rawPost(url: string, headers: Record<string, string>, body: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        text += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function signedCreateLogGroup(
  body: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  signingDate = new Date(clock.now()),
): Promise<Record<string, string>> {
  const url = new URL(emulator.url)
  const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 'logs', sha256: NodeSha256 })
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: '/',
      query: {},
      headers: {
        host: url.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'Logs_20140328.CreateLogGroup',
      },
      body,
    },
    { signingDate },
  )
  return signed.headers
}

describe('SigV4 on every Logs request', () => {
  it("accepts @smithy/signature-v4's signature and refuses it once the body is changed", async () => {
    const body = JSON.stringify({ logGroupName: '/signed' })
    const headers = await signedCreateLogGroup(body, emulator.defaultCredentials)
    expect((await rawPost(emulator.url, headers, body)).status).toBe(200)

    const tampered = await rawPost(emulator.url, headers, JSON.stringify({ logGroupName: '/evil' }))
    expect(tampered.status).toBe(400)
    expect(tampered.headers['x-amzn-errortype']).toBe('InvalidSignatureException')
    expect(JSON.parse(tampered.body)).toMatchObject({ __type: 'InvalidSignatureException' })
  })

  it('refuses a signature more than 5 minutes off its clock, as AWS does, and answers with its Date', async () => {
    for (const [offsetMs, status] of [
      [-4 * 60_000, 200],
      [4 * 60_000, 200],
      [-(5 * 60_000 + 1000), 400],
      [5 * 60_000 + 1000, 400],
    ] as const) {
      const headers = await signedCreateLogGroup(
        JSON.stringify({ logGroupName: `/skewed${offsetMs}` }),
        emulator.defaultCredentials,
        new Date(clock.now() + offsetMs),
      )
      const response = await rawPost(
        emulator.url,
        headers,
        JSON.stringify({ logGroupName: `/skewed${offsetMs}` }),
      )
      expect(response.status, `signed ${offsetMs} ms off`).toBe(status)
      expect(response.headers.date).toBe(new Date(clock.now()).toUTCString())
      if (status === 400) {
        expect(JSON.parse(response.body).__type).toBe('InvalidSignatureException')
        expect(JSON.parse(response.body).message).toMatch(
          offsetMs < 0
            ? /^Signature expired: \d{8}T\d{6}Z is now earlier than 20260115T115500Z \(20260115T120000Z - 5 min\.\)$/
            : /^Signature not yet current: \d{8}T\d{6}Z is still later than 20260115T120500Z \(20260115T120000Z \+ 5 min\.\)$/,
        )
      }
    }
  })

  it('lets the real SDK correct a clock 5 minutes off from the Date of the refusal, and retry', async () => {
    // A client whose clock is 6 minutes ahead of the emulator's, with the SDK's default retries.
    const client = logsClient(emulator, { maxAttempts: 3 })
    client.middlewareStack.remove('emulatorClockMiddleware')
    client.config.systemClockOffset = 6 * 60_000 + (clock.now() - Date.now())
    await client.send(new CreateLogGroupCommand({ logGroupName: '/corrected' }))
    const statuses = emulator.calls
      .filter((call) => call.action === 'CreateLogGroup')
      .map((call) => call.status)
    expect(statuses).toEqual([400, 200])
    expect(Math.abs(client.config.systemClockOffset - (clock.now() - Date.now()))).toBeLessThan(2000)
  })

  it('refuses an unsigned request with MissingAuthenticationTokenException', async () => {
    const response = await rawPost(
      emulator.url,
      { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.CreateLogGroup' },
      JSON.stringify({ logGroupName: '/unsigned' }),
    )
    expect(response.status).toBe(400)
    expect(JSON.parse(response.body)).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    })
  })

  it('refuses an unknown access key with UnrecognizedClientException and records the key', async () => {
    const client = logsClient(emulator, {
      credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x'.repeat(40) },
    })
    const error = await rejection(client.send(new CreateLogGroupCommand({ logGroupName: '/x' })))
    expect(error.name).toBe('UnrecognizedClientException')
    expect(emulator.calls.at(-1)).toMatchObject({ accessKeyId: 'AKIAUNKNOWNKEY000000', status: 400 })
    client.destroy()
  })

  it('refuses a known key signed with the wrong secret, or for another region', async () => {
    const wrongSecret = logsClient(emulator, {
      credentials: { accessKeyId: emulator.defaultCredentials.accessKeyId, secretAccessKey: 'y'.repeat(40) },
    })
    expect((await rejection(wrongSecret.send(new CreateLogGroupCommand({ logGroupName: '/x' })))).name).toBe(
      'InvalidSignatureException',
    )
    const otherRegion = logsClient(emulator, { region: 'eu-west-1' })
    expect((await rejection(otherRegion.send(new CreateLogGroupCommand({ logGroupName: '/x' })))).name).toBe(
      'InvalidSignatureException',
    )
    wrongSecret.destroy()
    otherRegion.destroy()
  })

  it('refuses the static key when it comes with a session token', async () => {
    const client = logsClient(emulator, {
      credentials: { ...emulator.defaultCredentials, sessionToken: 'made-up' },
    })
    expect((await rejection(client.send(new CreateLogGroupCommand({ logGroupName: '/x' })))).name).toBe(
      'UnrecognizedClientException',
    )
    client.destroy()
  })
})

describe('Actions OIDC token endpoint', () => {
  it("issues a JWT for the audience @actions/core's getIDToken asks for", async () => {
    const token = await withEnv(emulator.env, () => getIDToken('sts.amazonaws.com'))
    const parts = token.split('.')
    expect(parts).toHaveLength(3)
    const claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8'))
    expect(claims).toMatchObject({
      aud: 'sts.amazonaws.com',
      iss: 'https://token.actions.githubusercontent.com',
      sub: 'repo:acme/api:ref:refs/heads/main',
      iat: clock.now() / 1000,
    })
    expect(emulator.calls).toMatchObject([{ service: 'oidc', action: 'IdToken', status: 200 }])
  })

  it('refuses a request without the runner bearer token', async () => {
    const error = await rejection(
      withEnv({ ...emulator.env, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong' }, () =>
        getIDToken('sts.amazonaws.com'),
      ),
    )
    expect(error.message).toContain('401')
    expect(emulator.calls.at(-1)).toMatchObject({ service: 'oidc', status: 401 })
  })
})

describe('STS AssumeRoleWithWebIdentity', () => {
  async function oidcToken(audience = 'sts.amazonaws.com'): Promise<string> {
    return withEnv(emulator.env, () => getIDToken(audience))
  }

  function assume(webIdentityToken: string, overrides: { roleArn?: string; durationSeconds?: number } = {}) {
    return fromWebToken({
      roleArn: emulator.roleArn,
      webIdentityToken,
      roleSessionName: 'insights-watch-4242',
      ...overrides,
      clientConfig: { region: 'us-east-1', endpoint: emulator.url, maxAttempts: 1 },
    })()
  }

  it('trades an emulator-issued token for credentials that Logs accepts (endpoint from AWS_ENDPOINT_URL_STS)', async () => {
    const token = await oidcToken()
    const credentials = await withEnv(emulator.env, () =>
      fromWebToken({
        roleArn: emulator.roleArn,
        webIdentityToken: token,
        roleSessionName: 'insights-watch-4242',
        durationSeconds: 900,
        clientConfig: { region: 'us-east-1' },
      })(),
    )
    expect(credentials.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/)
    expect(credentials.sessionToken).toBeTruthy()
    expect(credentials.expiration?.getTime()).toBeGreaterThan(Date.now() + 800_000)

    const client = logsClient(emulator, { credentials })
    await client.send(new CreateLogGroupCommand({ logGroupName: '/via-oidc' }))
    client.destroy()

    const sts = emulator.calls.find((c) => c.service === 'sts')
    expect(sts).toMatchObject({
      action: 'AssumeRoleWithWebIdentity',
      status: 200,
      body: { RoleArn: emulator.roleArn, RoleSessionName: 'insights-watch-4242', DurationSeconds: '900' },
    })
    expect(sts?.body).not.toHaveProperty('WebIdentityToken')
    expect(emulator.calls.at(-1)).toMatchObject({
      service: 'logs',
      action: 'CreateLogGroup',
      status: 200,
      accessKeyId: credentials.accessKeyId,
    })
  })

  it('answers AccessDenied (403) for a token with another audience, and for another role', async () => {
    const wrongAudience = await rejection(assume(await oidcToken('https://github.com/acme')))
    expect(wrongAudience.name).toBe('AccessDenied')
    expect(wrongAudience.message).toBe('Not authorized to perform sts:AssumeRoleWithWebIdentity')
    expect(wrongAudience.$metadata).toMatchObject({ httpStatusCode: 403 })

    const otherRole = await rejection(
      assume(await oidcToken(), { roleArn: 'arn:aws:iam::123456789012:role/someone-else' }),
    )
    expect(otherRole.name).toBe('AccessDenied')
  })

  // The wire code is STS's `InvalidIdentityToken`; the SDK maps it to its modeled exception name.
  it('answers InvalidIdentityToken for a forged or altered token', async () => {
    const [header, payload, signature] = (await oidcToken()).split('.')
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'))
    const altered = Buffer.from(
      JSON.stringify({ ...claims, sub: 'repo:evil/fork:ref:refs/heads/main' }),
    ).toString('base64url')
    const forged = await rejection(assume(`${header}.${altered}.${signature}`))
    expect(forged.name).toBe('InvalidIdentityTokenException')
    expect(forged.$metadata).toMatchObject({ httpStatusCode: 400 })
    expect((await rejection(assume('not-a-jwt'))).name).toBe('InvalidIdentityTokenException')
    expect(emulator.calls.at(-1)?.response).toContain('<Code>InvalidIdentityToken</Code>')
  })

  it('answers ExpiredTokenException once the token is 5 minutes old on the emulator clock', async () => {
    const token = await oidcToken()
    clock.advance(300_000)
    expect((await rejection(assume(token))).name).toBe('ExpiredTokenException')
  })

  it('refuses a DurationSeconds outside 900 … the role maximum (3600)', async () => {
    expect((await rejection(assume(await oidcToken(), { durationSeconds: 600 }))).name).toBe(
      'ValidationError',
    )
    expect((await rejection(assume(await oidcToken(), { durationSeconds: 7200 }))).name).toBe(
      'ValidationError',
    )
  })

  it('expires the temporary keys on the emulator clock, and wants their session token', async () => {
    const credentials = await assume(await oidcToken(), { durationSeconds: 900 })
    const withoutToken = logsClient(emulator, {
      credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    })
    expect((await rejection(withoutToken.send(new CreateLogGroupCommand({ logGroupName: '/a' })))).name).toBe(
      'UnrecognizedClientException',
    )
    const client = logsClient(emulator, { credentials })
    await client.send(new CreateLogGroupCommand({ logGroupName: '/b' }))
    clock.advance(900_000)
    expect((await rejection(client.send(new CreateLogGroupCommand({ logGroupName: '/c' })))).name).toBe(
      'ExpiredTokenException',
    )
    withoutToken.destroy()
    client.destroy()
  })
})
