import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { type AddressInfo, connect, type Socket } from 'node:net'

/**
 * A real HTTP forward proxy on 127.0.0.1, for end-to-end tests of the action behind a proxy, that
 * records what it carried.
 *
 * It speaks both forms a proxy client uses: `CONNECT host:port` tunnels (https targets, and http
 * targets for clients that tunnel everything, as @actions/http-client does) and absolute-form
 * requests (`GET http://host:port/path`, as http-proxy-agent sends for http targets). Host names
 * under `.insights-watch.test`, which no resolver knows, are connected to 127.0.0.1 (the emulator):
 * a client that skips the proxy cannot reach them. Any other name is connected as given.
 */

export const TEST_DOMAIN = 'insights-watch.test'

/** One tunnel or one forwarded request. */
interface Carried {
  kind: 'connect' | 'forward'
  /** The target as the client named it. */
  host: string
  port: number
  /** For `forward`: the method and the path sent upstream. */
  method?: string
  path?: string
  /**
   * The local port of the upstream socket the proxy opened (or reused) to the target: the remote
   * port the target sees. Undefined when the upstream connection failed.
   */
  upstreamPort?: number
  /** What the client sent as Proxy-Authorization (decoded `user:password`), if anything. */
  credentials?: string
  /** The proxy's answer: 200 for a tunnel opened, the target's status for a forward, 407, 502. */
  status: number
}

export interface ForwardProxy {
  /** http://127.0.0.1:PORT */
  url: string
  port: number
  /** Everything carried, in order (a live array). */
  carried: Carried[]
  /** Client connections accepted so far (a kept-alive connection carries several requests). */
  connections(): number
  /** The local ports of every upstream socket it opened: a request on any other came some other way. */
  upstreamPorts(): Set<number>
  /** Tunnels and forwards carried per target host (CONNECTs count once, however many requests went in them). */
  countsByHost(): Record<string, number>
  stop(): Promise<void>
}

export interface ForwardProxyOptions {
  /** `user:password` the proxy requires (407 without it); default none. */
  credentials?: string
}

export async function startForwardProxy(options: ForwardProxyOptions = {}): Promise<ForwardProxy> {
  const carried: Carried[] = []
  const upstreamPorts = new Set<number>()
  const sockets = new Set<Socket>()
  let connections = 0
  // Upstream keep-alive for absolute-form requests, as a real proxy pools its connections.
  const upstreamAgent = new Agent({ keepAlive: true })

  const authorize = (req: IncomingMessage, record: Carried): boolean => {
    const header = req.headers['proxy-authorization']
    const match = typeof header === 'string' ? /^Basic (.+)$/i.exec(header) : null
    if (match?.[1]) record.credentials = Buffer.from(match[1], 'base64').toString('utf8')
    return options.credentials === undefined || record.credentials === options.credentials
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let target: URL
    try {
      target = new URL(req.url ?? '')
      if (target.protocol !== 'http:') throw new Error('not http')
    } catch {
      res.writeHead(400).end(`Not a proxy request: ${req.method} ${req.url}`)
      return
    }
    const port = Number(target.port || 80)
    const record: Carried = {
      kind: 'forward',
      host: target.hostname,
      port,
      method: req.method ?? 'GET',
      path: `${target.pathname}${target.search}`,
      status: 0,
    }
    carried.push(record)
    if (!authorize(req, record)) {
      record.status = 407
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end()
      return
    }
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const upstream = httpRequest(
      {
        host: upstreamHost(target.hostname),
        port,
        method: req.method,
        path: record.path,
        headers,
        agent: upstreamAgent,
      },
      (answer) => {
        record.status = answer.statusCode ?? 0
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('socket', (socket) => {
      const note = () => {
        if (socket.localPort === undefined) return
        record.upstreamPort = socket.localPort
        upstreamPorts.add(socket.localPort)
      }
      if (socket.localPort === undefined) socket.once('connect', note)
      else note()
    })
    upstream.on('error', (error) => {
      record.status = 502
      if (!res.headersSent) res.writeHead(502).end(String(error))
      else res.destroy()
    })
    req.pipe(upstream)
  })

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const [host = '', portText = ''] = splitHostPort(req.url ?? '')
    const record: Carried = { kind: 'connect', host, port: Number(portText), status: 0 }
    carried.push(record)
    client.on('error', () => client.destroy())
    if (!authorize(req, record)) {
      record.status = 407
      client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n',
      )
      return
    }
    const upstream = connect({ host: upstreamHost(host), port: record.port })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.once('connect', () => {
      record.status = 200
      if (upstream.localPort !== undefined) {
        record.upstreamPort = upstream.localPort
        upstreamPorts.add(upstream.localPort)
      }
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', (error) => {
      if (record.status === 0) {
        record.status = 502
        client.end(`HTTP/1.1 502 Bad Gateway\r\n\r\n${String(error)}`)
      } else client.destroy()
    })
    client.on('close', () => upstream.destroy())
  })
  server.on('connection', (socket: Socket) => {
    connections += 1
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    carried,
    connections: () => connections,
    upstreamPorts: () => new Set(upstreamPorts),
    countsByHost: () => {
      const counts: Record<string, number> = {}
      for (const { host } of carried) counts[host] = (counts[host] ?? 0) + 1
      return counts
    },
    stop: () =>
      new Promise<void>((resolve) => {
        upstreamAgent.destroy()
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Where the proxy connects for a target host: the emulator for the test domain, else the host itself. */
function upstreamHost(host: string): string {
  const name = host.toLowerCase()
  return name === TEST_DOMAIN || name.endsWith(`.${TEST_DOMAIN}`) ? '127.0.0.1' : host
}

/** `host:port` or `[v6]:port` → [host, port]. */
function splitHostPort(authority: string): [string, string] {
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(authority) ?? /^([^:]+):(\d+)$/.exec(authority)
  return match ? [match[1] ?? '', match[2] ?? ''] : [authority, '']
}
