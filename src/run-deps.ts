/**
 * The side effects a run depends on (time, the network, the environment, the runner), passed in so
 * that tests drive them; and the real ones, as the runner gives them.
 */
import type { FetchFunction } from '@slack/webhook'
import { onAbort } from './insights/throttle.js'
import { type ProxyAgentsFactory, proxyAgents } from './net/proxy.js'
import { nodeHttpFetch, nodeHttpFetchWith } from './notify/http-transport.js'
import type { SlackDeps } from './notify/slack.js'
import type { SlackBotDeps } from './notify/slack-bot.js'
import { actionsRunner, type Runner } from './runner.js'

export interface RunDeps {
  now: () => number
  sleep: (ms: number) => Promise<void>
  /** The Slack webhook client's transport. */
  fetch: FetchFunction
  env: Record<string, string | undefined>
  /** Aborted when the job is cancelled: running queries are stopped (StopQuery). */
  signal?: AbortSignal
  /** Agents for the AWS clients behind a proxy (src/net/proxy.ts); absent: the SDK's own. */
  proxyAgents?: ProxyAgentsFactory
  /** The runner's log, outputs and summary; absent: the real one (@actions/core). */
  runner?: Runner
}

/** The deps every step takes: a runner is always there. */
export type StepDeps = RunDeps & { runner: Runner }

/** What every client of ours takes from a run: its waits, its log, the job's cancellation. */
function clientDeps(deps: StepDeps): Pick<SlackDeps, 'sleep' | 'log' | 'signal'> {
  return { sleep: deps.sleep, log: deps.runner.info, ...(deps.signal ? { signal: deps.signal } : {}) }
}

/** What the webhook client (notify/slack.ts) takes from a run. */
export function webhookDeps(deps: StepDeps): SlackDeps {
  return { ...clientDeps(deps), fetch: deps.fetch }
}

/** What the Slack Web API and GitHub clients (bot-token mode, github-issue) take from a run. */
export function apiClientDeps(deps: StepDeps): SlackBotDeps {
  return {
    ...clientDeps(deps),
    env: deps.env,
    ...(deps.proxyAgents ? { proxyAgents: deps.proxyAgents } : {}),
  }
}

export function withRunner(deps: RunDeps): StepDeps {
  return { ...deps, runner: deps.runner ?? actionsRunner }
}

export async function realDeps(): Promise<StepDeps> {
  const runner = actionsRunner
  const signal = cancellationSignal(runner)
  // HTTPS_PROXY & co.: the toolkit's calls (OIDC token, Actions cache) honour them by themselves.
  const agents = await proxyAgents({ log: runner.info, setSecret: runner.setSecret })
  return {
    now: Date.now,
    sleep: (ms) => sleepUntilCancelled(ms, signal),
    fetch: agents ? nodeHttpFetchWith(agents()) : nodeHttpFetch,
    env: process.env,
    signal,
    runner,
    ...(agents ? { proxyAgents: agents } : {}),
  }
}

/**
 * A wait whose timer stops holding the process once the job is cancelled: the code that waited has
 * stopped waiting (Slack's retry pause, a query's poll), and a 60 s Retry-After must not keep a
 * cancelled job alive. The timer still fires if the process lives on, so no wait ends early.
 */
function sleepUntilCancelled(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      stopWatching()
      resolve()
    }, ms)
    const stopWatching = onAbort(signal, () => timer.unref())
  })
}

/**
 * Aborted on SIGINT or SIGTERM, which the runner sends when the job is cancelled or times out, so that
 * running queries are stopped rather than left to use the account's concurrent-query quota.
 */
function cancellationSignal(runner: Runner): AbortSignal {
  const controller = new AbortController()
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      runner.info(`Received ${signal}: stopping the running queries.`)
      controller.abort(new Error(`The run was cancelled (${signal}); running queries were stopped.`))
    })
  }
  return controller.signal
}
