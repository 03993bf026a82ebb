import { getProxyUrl } from '@actions/http-client/lib/proxy'

/**
 * The proxy a request to `target` goes through, or undefined to go direct. These are
 * @actions/http-client's rules (its getProxyUrl), so the action decides as the toolkit's calls of
 * the same run do: `https_proxy`/`HTTPS_PROXY` for https targets and `http_proxy`/`HTTP_PROXY` for
 * http ones (lowercase first); loopback hosts (`localhost`, `127.*`, `[::1]`) always direct; and
 * `no_proxy`/`NO_PROXY` (lowercase first), comma-separated: `*`, a host (`example.com` also matches
 * its subdomains; `.example.com` only those), or `host:port`.
 */
export function proxyFor(target: URL): URL | undefined {
  const proxy = getProxyUrl(target)
  if (!proxy?.hostname) return undefined
  // http-client's URL answers username and password decoded; the agents decode them again, so
  // they get a plain URL, built from the encoded form (href).
  return new URL(proxy.href)
}

/** `http://user:password@proxy:3128/` → `http://proxy:3128` */
export function withoutCredentials(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`
}
