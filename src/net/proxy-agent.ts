import { type ClientRequest, Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { isIPv6 } from 'node:net'
import type { Duplex } from 'node:stream'
import { Agent, type AgentConnectOpts } from 'agent-base'
import { HttpProxyAgent } from 'http-proxy-agent'
import { HttpsProxyAgent } from 'https-proxy-agent'
import { proxyFor, withoutCredentials } from './proxy-route.js'

/** What ClientRequest hands an agent: at least the target's host and port. */
type RequestOptions = {
  host?: string | null | undefined
  hostname?: string | null | undefined
  port?: number | string | null | undefined
}

/** ClientRequest's internals http-proxy-agent rewrites (its own type for them). */
type ForwardedRequest = Parameters<HttpProxyAgent<string>['connect']>[0]

const addRequest = (
  HttpAgent.prototype as unknown as { addRequest: (req: ClientRequest, options: object) => void }
).addRequest

/**
 * An agent for one scheme that sends each request through the proxy proxyFor() names for its
 * target, or direct: one decision for the AWS SDK's clients and the Slack transport, made per
 * request by the rules @actions/http-client applies to the toolkit's calls.
 *
 * Connections are kept alive, whichever the route: the clock probe's connection to CloudWatch Logs
 * is the one StartQuery reuses (service-clock.ts). Through a proxy, an https target gets a CONNECT
 * tunnel (https-proxy-agent), which this agent pools by target; an http target is asked for in
 * absolute form (`GET http://host/path`, http-proxy-agent) on a pooled connection to the proxy.
 * Direct requests are handed to a plain keep-alive agent of the scheme.
 */
export class ProxyRoutingAgent extends Agent {
  readonly #secure: boolean
  readonly #direct: HttpAgent
  /** The connectors per proxy URL: they open tunnels and proxy connections; this agent pools them. */
  readonly #tunnels = new Map<string, HttpsProxyAgent<string>>()
  readonly #forwards = new Map<string, HttpProxyAgent<string>>()

  constructor(options: { secure: boolean }) {
    super({ keepAlive: true })
    this.#secure = options.secure
    this.protocol = options.secure ? 'https:' : 'http:'
    this.#direct = options.secure ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true })
  }

  /** Each instance serves one scheme; agent-base would otherwise guess it from the call stack. */
  override isSecureEndpoint(): boolean {
    return this.#secure
  }

  /** The proxy for a request's target, or undefined for direct. */
  route(options: RequestOptions): URL | undefined {
    const host = options.host ?? options.hostname ?? 'localhost'
    const port = options.port ?? (this.#secure ? 443 : 80)
    return proxyFor(
      new URL(`${this.#secure ? 'https' : 'http'}://${isIPv6(host) ? `[${host}]` : host}:${port}`),
    )
  }

  /**
   * Called by ClientRequest as it is constructed, before its header is written. An http request
   * through a proxy gets its absolute-form path and Proxy-Authorization here, so that it is right on
   * a new connection and on a reused one alike.
   */
  addRequest(req: ClientRequest, options: RequestOptions & object): void {
    const proxy = this.#secure ? undefined : this.route(options)
    if (proxy) {
      this.#forward(proxy).setRequestProps(req as ForwardedRequest, {
        ...(options as AgentConnectOpts),
        secureEndpoint: false,
      })
    }
    addRequest.call(this, req, options)
  }

  async connect(req: ClientRequest, options: AgentConnectOpts): Promise<Duplex | HttpAgent> {
    const proxy = this.route(options)
    if (!proxy) return this.#direct
    if (!options.secureEndpoint) return this.#forward(proxy).connect(req as ForwardedRequest, options)
    const tunnels = this.#tunnel(proxy)
    let answer: { statusCode: number; statusText: string } | undefined
    const onAnswer = (connect: { statusCode: number; statusText: string }, request: ClientRequest) => {
      if (request === req) answer = connect
    }
    tunnels.on('proxyConnect', onAnswer)
    try {
      const socket = await tunnels.connect(req, options)
      if (answer && answer.statusCode !== 200) {
        // https-proxy-agent would hand back the proxy's answer as if the target had sent it (a 407 from
        // "CloudWatch Logs"); an error that names the proxy says what failed.
        socket.destroy()
        throw new Error(
          `The proxy ${withoutCredentials(proxy)} refused a tunnel to ${options.host}:${options.port}: ${answer.statusCode} ${answer.statusText}` +
            (answer.statusCode === 407 ? ' (check the user and password in HTTPS_PROXY)' : ''),
        )
      }
      return socket
    } finally {
      tunnels.off('proxyConnect', onAnswer)
    }
  }

  override destroy(): void {
    this.#direct.destroy()
    super.destroy()
  }

  #tunnel(proxy: URL): HttpsProxyAgent<string> {
    return agentFor(this.#tunnels, proxy, () => new HttpsProxyAgent(proxy, { keepAlive: true }))
  }

  #forward(proxy: URL): HttpProxyAgent<string> {
    // keepAlive: the requests say `Proxy-Connection: Keep-Alive`, so the proxy keeps the connection.
    return agentFor(this.#forwards, proxy, () => new HttpProxyAgent(proxy, { keepAlive: true }))
  }
}

/** One agent per proxy, made on first use and kept (its connections are kept alive). */
function agentFor<A>(agents: Map<string, A>, proxy: URL, make: () => A): A {
  let agent = agents.get(proxy.href)
  if (!agent) {
    agent = make()
    agents.set(proxy.href, agent)
  }
  return agent
}
