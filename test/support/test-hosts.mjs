// Preloaded with `node --import` into the action's process by end-to-end tests that need a name of
// the test domain to resolve, the way an /etc/hosts entry would: `*.insights-watch.test` resolves to
// 127.0.0.1 (the emulator). Without it no resolver knows these names, so only a proxy reaches them
// (test/support/forward-proxy.ts); with it, a request that skips the proxy (NO_PROXY) arrives
// directly, on a connection of its own that the test can tell from the proxy's.
import dns from 'node:dns'

const lookup = dns.lookup

dns.lookup = function lookupTestHosts(hostname, options, callback) {
  const name = /(^|\.)insights-watch\.test$/i.test(hostname) ? '127.0.0.1' : hostname
  return lookup.call(this, name, options, callback)
}
