import type { Agent as HttpAgent } from 'node:http'
import type { Agent as HttpsAgent } from 'node:https'
import { withoutCredentials } from './proxy-route.js'

/**
 * Self-hosted runners often reach the internet only through a proxy named in HTTPS_PROXY,
 * HTTP_PROXY and NO_PROXY. The runner's toolkit honours them: @actions/http-client (the OIDC token
 * request, the Actions cache's service calls and downloads) and the Azure storage SDK (cache
 * uploads) read them on every request. The AWS SDK and our Slack transport do not, so this module
 * gives them agents that decide the same way, per request, by the toolkit's own rules.
 */

/** The agents an HTTP client is given: the AWS SDK's `requestHandler` and the Slack transport take them as they are. */
export interface HttpAgents {
  httpAgent: HttpAgent
  httpsAgent: HttpsAgent
}

/** New agents for one client (each client destroys its own); absent when no proxy variable is set. */
export type ProxyAgentsFactory = () => HttpAgents

/** The variable that names the proxy for a scheme, lowercase first as http-client reads it. */
function proxyVariable(scheme: 'https' | 'http'): { name: string; value: string } | undefined {
  for (const name of [`${scheme}_proxy`, `${scheme.toUpperCase()}_PROXY`]) {
    const value = process.env[name]
    if (value) return { name, value }
  }
  return undefined
}

/**
 * Reads the proxy variables once at start-up: fails on one no client could use (its value is never
 * printed: it may hold a password), masks the credentials a proxy URL carries, logs one line saying
 * where requests go, and loads the agents. With no proxy variable set it loads nothing and answers
 * undefined: the clients keep Node's own agents, and a run without a proxy pays nothing for this.
 */
export async function proxyAgents(deps: {
  log: (line: string) => void
  setSecret: (value: string) => void
}): Promise<ProxyAgentsFactory | undefined> {
  const variables = { https: proxyVariable('https'), http: proxyVariable('http') }
  if (!variables.https && !variables.http) return undefined
  const routes: string[] = []
  for (const scheme of ['https', 'http'] as const) {
    const variable = variables[scheme]
    if (!variable) {
      routes.push(`${scheme} direct (no ${scheme.toUpperCase()}_PROXY)`)
      continue
    }
    const proxy = parseProxy(variable.name, variable.value)
    maskCredentials(variable.value, proxy, deps.setSecret)
    routes.push(
      `${scheme} through ${withoutCredentials(proxy)} (${variable.name}${proxy.username || proxy.password ? ', credentials masked' : ''})`,
    )
  }
  const noProxy = ['no_proxy', 'NO_PROXY'].find((name) => process.env[name])
  deps.log(
    `Proxy: ${routes.join('; ')}; ${noProxy ? `${noProxy}: ${process.env[noProxy]}` : 'no NO_PROXY'}; loopback hosts direct.`,
  )
  // Loaded only behind a proxy: the agents and their dependencies are a chunk of their own.
  const { ProxyRoutingAgent } = await import('./proxy-agent.js')
  return () => ({
    httpAgent: new ProxyRoutingAgent({ secure: false }),
    httpsAgent: new ProxyRoutingAgent({ secure: true }),
  })
}

/**
 * The proxy URL as http-client reads it (a bare `host:port` is taken as `http://host:port`), or an
 * error naming the variable: a value no client could use would send some calls direct and fail
 * others, far from the cause. The value itself is not repeated (it may carry a password).
 */
function parseProxy(name: string, value: string): URL {
  let proxy: URL | undefined
  try {
    proxy = new URL(value)
  } catch {
    if (!/^https?:\/\//.test(value)) {
      try {
        proxy = new URL(`http://${value}`)
      } catch {}
    }
  }
  if (!proxy?.hostname || (proxy.protocol !== 'http:' && proxy.protocol !== 'https:')) {
    throw new Error(
      `${name} is set but is not an http:// or https:// proxy URL with a host (such as http://proxy.example:3128 or http://user:password@proxy.example:3128). Fix it, or unset it to connect directly.`,
    )
  }
  return proxy
}

/**
 * The credentials a proxy URL carries, in every form a library might print them: the whole value,
 * `user:password`, and the password (or a lone user, which is then the secret) encoded and decoded.
 */
function maskCredentials(value: string, proxy: URL, setSecret: (value: string) => void): void {
  if (!proxy.username && !proxy.password) return
  setSecret(value)
  if (proxy.password) setSecret(`${proxy.username}:${proxy.password}`)
  const secret = proxy.password || proxy.username
  setSecret(secret)
  const decoded = safeDecode(secret)
  if (decoded !== secret) setSecret(decoded)
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
