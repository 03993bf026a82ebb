import { readFileSync } from 'node:fs'
import {
  type Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
} from 'node:http'
import { createServer as createTlsServer, request as httpsRequest } from 'node:https'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { proxyAgents } from '../../../src/net/proxy.js'
import { ProxyRoutingAgent } from '../../../src/net/proxy-agent.js'
import { proxyFor } from '../../../src/net/proxy-route.js'
import { nodeHttpFetchWith } from '../../../src/notify/http-transport.js'
import { type ForwardProxy, startForwardProxy, TEST_DOMAIN } from '../../support/forward-proxy.js'

const VARIABLES = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY', 'no_proxy', 'NO_PROXY']

beforeEach(() => {
  for (const name of VARIABLES) vi.stubEnv(name, undefined)
})

afterEach(() => {
  vi.unstubAllEnvs()
})

const via = (url: string) => proxyFor(new URL(url))?.href

describe('proxyFor: the per-request decision, by @actions/http-client rules', () => {
  it('takes HTTPS_PROXY for https targets and HTTP_PROXY for http ones', () => {
    vi.stubEnv('HTTPS_PROXY', 'http://secure-proxy:3128')
    vi.stubEnv('HTTP_PROXY', 'http://plain-proxy:8080')
    expect(via('https://logs.eu-west-1.amazonaws.com/')).toBe('http://secure-proxy:3128/')
    expect(via('http://logs.example:4566/')).toBe('http://plain-proxy:8080/')
  })

  it('sends a scheme without its variable direct', () => {
    vi.stubEnv('HTTP_PROXY', 'http://plain-proxy:8080')
    expect(via('https://hooks.slack.com/services/T/B/x')).toBeUndefined()
    vi.stubEnv('HTTP_PROXY', undefined)
    vi.stubEnv('HTTPS_PROXY', 'http://secure-proxy:3128')
    expect(via('http://logs.example:4566/')).toBeUndefined()
  })

  it('reads the lowercase variables first', () => {
    vi.stubEnv('https_proxy', 'http://lower:1')
    vi.stubEnv('HTTPS_PROXY', 'http://upper:2')
    vi.stubEnv('http_proxy', 'http://lower-plain:3')
    expect(via('https://sts.amazonaws.com/')).toBe('http://lower:1/')
    expect(via('http://sts.example/')).toBe('http://lower-plain:3/')
    vi.stubEnv('no_proxy', 'sts.amazonaws.com')
    vi.stubEnv('NO_PROXY', 'other.example')
    expect(via('https://sts.amazonaws.com/')).toBeUndefined()
    expect(via('https://other.example/')).toBe('http://lower:1/')
  })

  it('takes a bare host:port as an http:// proxy, as the toolkit does', () => {
    vi.stubEnv('HTTPS_PROXY', '10.0.0.1:3128')
    expect(via('https://sts.amazonaws.com/')).toBe('http://10.0.0.1:3128/')
  })

  it('matches NO_PROXY entries as hosts, domain suffixes, host:port and *', () => {
    vi.stubEnv('HTTPS_PROXY', 'http://proxy:3128')
    vi.stubEnv('NO_PROXY', ' amazonaws.com , .slack.com,results.example:8443')
    // A bare domain covers itself and its subdomains; a leading dot only the subdomains.
    expect(via('https://amazonaws.com/')).toBeUndefined()
    expect(via('https://logs.eu-west-1.amazonaws.com/')).toBeUndefined()
    expect(via('https://notamazonaws.com/')).toBe('http://proxy:3128/')
    expect(via('https://hooks.slack.com/')).toBeUndefined()
    // With a port, only that port.
    expect(via('https://results.example:8443/')).toBeUndefined()
    expect(via('https://results.example/')).toBe('http://proxy:3128/')
    // Case does not matter.
    expect(via('https://LOGS.EU-WEST-1.AMAZONAWS.COM/')).toBeUndefined()
    vi.stubEnv('NO_PROXY', '*')
    expect(via('https://logs.eu-west-1.amazonaws.com/')).toBeUndefined()
  })

  it('never proxies loopback hosts', () => {
    vi.stubEnv('HTTPS_PROXY', 'http://proxy:3128')
    vi.stubEnv('HTTP_PROXY', 'http://proxy:3128')
    for (const url of [
      'http://localhost:4599/',
      'https://127.0.0.1:4599/',
      'http://127.1.2.3/',
      'https://[::1]:4599/',
    ])
      expect(via(url), url).toBeUndefined()
    expect(via('https://10.0.0.5/')).toBe('http://proxy:3128/')
  })

  it('keeps the credentials URL-encoded, as the proxy agents expect them', () => {
    vi.stubEnv('HTTPS_PROXY', 'http://watch:p%40ss@proxy:3128')
    const proxy = proxyFor(new URL('https://sts.amazonaws.com/'))
    expect(proxy?.username).toBe('watch')
    expect(proxy?.password).toBe('p%40ss')
  })
})

describe('proxyAgents: reading the variables once per run', () => {
  const deps = () => ({ log: vi.fn<(line: string) => void>(), setSecret: vi.fn<(value: string) => void>() })

  it('loads nothing and logs nothing without a proxy variable (NO_PROXY alone included)', async () => {
    vi.stubEnv('NO_PROXY', 'example.com')
    const d = deps()
    expect(await proxyAgents(d)).toBeUndefined()
    expect(d.log).not.toHaveBeenCalled()
    expect(d.setSecret).not.toHaveBeenCalled()
  })

  it('logs one line naming each proxy without its credentials, and masks them', async () => {
    vi.stubEnv('HTTPS_PROXY', 'http://watch:p%40ss-w0rd@proxy.corp:3128')
    vi.stubEnv('no_proxy', '.internal,169.254.169.254')
    const d = deps()
    const factory = await proxyAgents(d)
    expect(factory).toBeDefined()
    expect(d.log.mock.calls).toEqual([
      [
        'Proxy: https through http://proxy.corp:3128 (HTTPS_PROXY, credentials masked); http direct (no HTTP_PROXY); no_proxy: .internal,169.254.169.254; loopback hosts direct.',
      ],
    ])
    const masked = d.setSecret.mock.calls.map(([value]) => value)
    expect(masked).toEqual(
      expect.arrayContaining([
        'http://watch:p%40ss-w0rd@proxy.corp:3128',
        'watch:p%40ss-w0rd',
        'p%40ss-w0rd',
        'p@ss-w0rd',
      ]),
    )
    const agents = factory?.()
    expect(agents?.httpsAgent).toBeInstanceOf(ProxyRoutingAgent)
    expect(agents?.httpAgent).toBeInstanceOf(ProxyRoutingAgent)
    // A new pair per client: each client destroys its own.
    expect(factory?.().httpsAgent).not.toBe(agents?.httpsAgent)
  })

  it('masks a lone user, which is then the secret', async () => {
    vi.stubEnv('http_proxy', 'http://t0ken@proxy.corp:8080')
    const d = deps()
    await proxyAgents(d)
    expect(d.setSecret.mock.calls.map(([value]) => value)).toEqual(
      expect.arrayContaining(['http://t0ken@proxy.corp:8080', 't0ken']),
    )
    expect(d.log.mock.calls[0]?.[0]).toBe(
      'Proxy: https direct (no HTTPS_PROXY); http through http://proxy.corp:8080 (http_proxy, credentials masked); no NO_PROXY; loopback hosts direct.',
    )
  })

  it('fails on a value no client could use, naming the variable but not the value', async () => {
    for (const value of ['proxy.corp:3128', 'socks5://user:s3cret@proxy.corp:1080', 'http://']) {
      vi.stubEnv('HTTPS_PROXY', value)
      const failure = proxyAgents(deps())
      await expect(failure, value).rejects.toThrow(
        /^HTTPS_PROXY is set but is not an http:\/\/ or https:\/\/ proxy URL/,
      )
      await expect(failure).rejects.not.toThrow(/s3cret|proxy\.corp/)
    }
  })
})

describe('ProxyRoutingAgent against a real forward proxy', () => {
  const TLS_DIR = resolve(import.meta.dirname, '../../fixtures/tls')
  const ca = readFileSync(resolve(TLS_DIR, 'ca.pem'))
  /** What each target server received: path, Host and the remote port of the connection. */
  const seen: Array<{ path: string; host: string | undefined; remotePort: number | undefined }> = []
  const record = (req: IncomingMessage, res: { end: (body: string) => void }) => {
    seen.push({ path: req.url ?? '', host: req.headers.host, remotePort: req.socket.remotePort })
    req.resume()
    req.on('end', () => res.end(`${req.method} ${req.url}`))
  }
  let plain: Server
  let secure: Server
  let proxy: ForwardProxy
  const port = (server: Server) => (server.address() as AddressInfo).port

  beforeAll(async () => {
    plain = createServer(record)
    secure = createTlsServer(
      {
        cert: readFileSync(resolve(TLS_DIR, 'emulator.pem')),
        key: readFileSync(resolve(TLS_DIR, 'emulator-key.pem')),
      },
      record,
    )
    for (const server of [plain, secure])
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  })

  afterAll(async () => {
    for (const server of [plain, secure]) {
      server.closeAllConnections()
      await new Promise((done) => server.close(done))
    }
  })

  beforeEach(async () => {
    seen.length = 0
    proxy = await startForwardProxy({ credentials: 'watch:p@ss' })
  })

  afterEach(async () => {
    await proxy.stop()
  })

  function get(url: string, agent: Agent): Promise<string> {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest
    return new Promise((done, fail) => {
      const req = send(url, { agent, ca }, (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => done(`${res.statusCode} ${body}`))
      })
      req.on('error', fail)
      req.end()
    })
  }

  it('tunnels https requests with CONNECT and the decoded credentials, one kept-alive tunnel per target', async () => {
    vi.stubEnv('HTTPS_PROXY', `http://watch:p%40ss@127.0.0.1:${proxy.port}`)
    const agent = new ProxyRoutingAgent({ secure: true })
    const base = `https://logs.${TEST_DOMAIN}:${port(secure)}`
    expect(await get(`${base}/first`, agent)).toBe('200 GET /first')
    expect(await get(`${base}/second`, agent)).toBe('200 GET /second')
    agent.destroy()
    expect(proxy.carried).toEqual([
      expect.objectContaining({
        kind: 'connect',
        host: `logs.${TEST_DOMAIN}`,
        port: port(secure),
        credentials: 'watch:p@ss',
        status: 200,
      }),
    ])
    expect(seen.map((s) => s.remotePort)).toEqual([
      proxy.carried[0]?.upstreamPort,
      proxy.carried[0]?.upstreamPort,
    ])
  })

  it('sends http requests in absolute form, kept alive on one connection to the proxy', async () => {
    vi.stubEnv('HTTP_PROXY', `http://watch:p%40ss@127.0.0.1:${proxy.port}`)
    const agent = new ProxyRoutingAgent({ secure: false })
    const base = `http://logs.${TEST_DOMAIN}:${port(plain)}`
    expect(await get(`${base}/first?a=1`, agent)).toBe('200 GET /first?a=1')
    expect(await get(`${base}/second`, agent)).toBe('200 GET /second')
    agent.destroy()
    expect(
      proxy.carried.map(({ kind, host, path, credentials }) => ({ kind, host, path, credentials })),
    ).toEqual([
      { kind: 'forward', host: `logs.${TEST_DOMAIN}`, path: '/first?a=1', credentials: 'watch:p@ss' },
      { kind: 'forward', host: `logs.${TEST_DOMAIN}`, path: '/second', credentials: 'watch:p@ss' },
    ])
    expect(proxy.connections()).toBe(1)
    expect(seen.map((s) => s.host)).toEqual([
      `logs.${TEST_DOMAIN}:${port(plain)}`,
      `logs.${TEST_DOMAIN}:${port(plain)}`,
    ])
  })

  it('goes direct to loopback and to hosts NO_PROXY names', async () => {
    vi.stubEnv('HTTPS_PROXY', `http://watch:p%40ss@127.0.0.1:${proxy.port}`)
    vi.stubEnv('HTTP_PROXY', `http://watch:p%40ss@127.0.0.1:${proxy.port}`)
    vi.stubEnv('NO_PROXY', TEST_DOMAIN)
    const agent = new ProxyRoutingAgent({ secure: true })
    expect(await get(`https://127.0.0.1:${port(secure)}/direct`, agent)).toBe('200 GET /direct')
    // Direct to a name no resolver knows: the lookup fails, and the proxy never saw it.
    await expect(get(`https://hooks.${TEST_DOMAIN}:${port(secure)}/`, agent)).rejects.toMatchObject({
      code: 'ENOTFOUND',
    })
    agent.destroy()
    expect(proxy.carried).toEqual([])
    expect(proxy.connections()).toBe(0)
  })

  it('fails a refused tunnel with an error naming the proxy, not its credentials', async () => {
    vi.stubEnv('HTTPS_PROXY', `http://watch:wr0ng@127.0.0.1:${proxy.port}`)
    const agent = new ProxyRoutingAgent({ secure: true })
    const failure = get(`https://sts.${TEST_DOMAIN}:${port(secure)}/`, agent)
    await expect(failure).rejects.toThrow(
      `The proxy http://127.0.0.1:${proxy.port} refused a tunnel to sts.${TEST_DOMAIN}:${port(secure)}: 407 Proxy Authentication Required (check the user and password in HTTPS_PROXY)`,
    )
    await expect(failure).rejects.not.toThrow(/wr0ng/)
    agent.destroy()
    expect(seen).toEqual([])
  })

  it('carries the Slack transport through the proxy', async () => {
    vi.stubEnv('HTTPS_PROXY', `http://watch:p%40ss@127.0.0.1:${proxy.port}`)
    const factory = await proxyAgents({ log: () => {}, setSecret: () => {} })
    const agents = factory?.()
    if (!agents) throw new Error('no agents')
    // The fixture CA, as NODE_EXTRA_CA_CERTS gives it to the action.
    agents.httpsAgent.options.ca = ca
    const fetch = nodeHttpFetchWith(agents)
    const response = await fetch(`https://hooks.${TEST_DOMAIN}:${port(secure)}/services/T/B/x`, {
      method: 'POST',
      body: '{"text":"hi"}',
    })
    expect(await response.text()).toBe('POST /services/T/B/x')
    agents.httpsAgent.destroy()
    expect(proxy.carried.map((c) => [c.kind, c.host])).toEqual([['connect', `hooks.${TEST_DOMAIN}`]])
  })
})
