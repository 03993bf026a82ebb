import type { getOctokit } from '@actions/github'
import type { ProxyAgentsFactory } from '../net/proxy.js'
import { apiHttpFetch } from '../notify/http-transport.js'

/**
 * GitHub's REST API as the action's features use it (the incident's issue, the backtest's pull
 * request comment): `@actions/github`'s `getOctokit`, loaded only when a run uses it (the bundle keeps
 * it in a chunk of its own), and every failure read into an error that says what the workflow must
 * change.
 *
 * The API is `GITHUB_API_URL` (the runner sets it; GitHub Enterprise Server's differs) and the
 * repository `GITHUB_REPOSITORY`, both from the run's environment.
 *
 * Requests go over node:http(s), through the run's proxy agents when a proxy is set: octokit's
 * request layer is fetch-based and ignores an `agent` option, so the agents come in with a `fetch` of
 * our own (notify/http-transport.ts), which also bounds each request's time and aborts it with the job.
 * No call is retried: a failure is the caller's to report.
 */

export interface GitHubApiDeps {
  env: Record<string, string | undefined>
  log: (line: string) => void
  /** Aborted when the job is cancelled: the request in flight is aborted. */
  signal?: AbortSignal
  /** Set behind a proxy (src/net/proxy.ts): requests go through these agents. */
  proxyAgents?: ProxyAgentsFactory
}

/** A call GitHub did not take; `status` is its HTTP status (0: no answer). */
export class GitHubApiError extends Error {
  override name = 'GitHubApiError'
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

/** The feature that calls, as its errors name it. */
export interface GitHubFeature {
  /** The input that turned it on, as the user wrote it: `github-issue: true`. */
  input: string
  /** What the token needs and where to grant it; said on 401, 403 and 404. */
  permissionFix: string
  /** What happens after a rate limit: `The next run tries again.` */
  nextTry: string
  /** A 4xx the feature reads its own way (410 for issues); undefined: the common reading. */
  refusal?: (answer: GitHubRefusal, target: GitHubTarget) => GitHubApiError | undefined
}

/** What a call was about, for its errors. */
export interface GitHubTarget {
  /** `a comment on issue #3`. */
  what: string
  /** What a 404 may mean beside the repository: `issue #3`. */
  subject?: string
  issueNumber?: number
}

/** A 4xx as the feature reads it. */
export interface GitHubRefusal {
  status: number
  /** GitHub's message, scrubbed of the token, in one line. */
  text: string
  /** `GitHub refused … in owner/name (403 …).` */
  refused: string
  repository: string
}

type Octokit = ReturnType<typeof getOctokit>

export interface GitHubApi {
  octokit: Octokit
  owner: string
  repo: string
  /** `owner/name`, from GITHUB_REPOSITORY. */
  repository: string
  /** Runs one call; a failure becomes a GitHubApiError that says the fix. */
  call<T>(target: GitHubTarget, run: () => Promise<T>): Promise<T>
}

const DEFAULT_API_URL = 'https://api.github.com'
/** A hung connection must not hold the job until the runner's own timeout. */
const REQUEST_TIMEOUT_MS = 30_000
const MAX_TEXT_IN_ERROR = 300

/** The client; loads `@actions/github` on first use. Throws when GITHUB_REPOSITORY is not `owner/name`. */
export async function openGitHubApi(
  token: string,
  deps: GitHubApiDeps,
  feature: GitHubFeature,
): Promise<GitHubApi> {
  const repository = deps.env.GITHUB_REPOSITORY?.trim() ?? ''
  const [owner, repo, ...rest] = repository.split('/')
  if (!owner || !repo || rest.length > 0) {
    throw new GitHubApiError(
      `${feature.input} needs GITHUB_REPOSITORY (owner/name), which a GitHub Actions runner sets; it is ${repository ? `"${repository}"` : 'not set'} here.`,
      0,
    )
  }
  const baseUrl = (deps.env.GITHUB_API_URL?.trim() || DEFAULT_API_URL).replace(/\/+$/, '')
  const { getOctokit } = await import('@actions/github')
  const octokit = getOctokit(token, {
    baseUrl,
    userAgent: 'insights-watch',
    request: { fetch: octokitFetch(deps) },
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => deps.log(`GitHub: ${scrub(message, token)}`),
      error: (message: string) => deps.log(`GitHub: ${scrub(message, token)}`),
    },
  })
  return {
    octokit,
    owner,
    repo,
    repository,
    call: async (target, run) => {
      try {
        return await run()
      } catch (error) {
        throw describe(error, { target, repository, feature, token, signal: deps.signal })
      }
    },
  }
}

/**
 * octokit's `fetch`: node:http(s) over the proxy agents when set, each request bounded in time and
 * aborted with the job, answered as a WHATWG Response (octokit iterates its headers).
 */
function octokitFetch(deps: GitHubApiDeps) {
  const transport = apiHttpFetch(deps.proxyAgents?.())
  return async (url: string, init: RequestInit = {}): Promise<Response> => {
    const signals = [AbortSignal.timeout(REQUEST_TIMEOUT_MS), deps.signal, init.signal ?? undefined].filter(
      (s): s is AbortSignal => s instanceof AbortSignal,
    )
    const answer = await transport(url, {
      method: init.method ?? 'GET',
      headers: init.headers as Record<string, string>,
      ...(typeof init.body === 'string' ? { body: init.body } : {}),
      signal: AbortSignal.any(signals),
    })
    const nullBody = answer.status === 204 || answer.status === 205 || answer.status === 304
    const response = new Response(nullBody ? null : await answer.arrayBuffer(), {
      status: answer.status,
      statusText: answer.statusText,
      headers: [...answer.headers.entries()],
    })
    Object.defineProperty(response, 'url', { value: answer.url })
    return response
  }
}

/** The shape of octokit's RequestError, read by its fields (the class lives in the lazily loaded module). */
interface OctokitError {
  status?: unknown
  message?: unknown
  name?: unknown
  response?: { data?: unknown; headers?: Record<string, string | undefined> }
}

interface CallContext {
  target: GitHubTarget
  repository: string
  feature: GitHubFeature
  token: string
  signal: AbortSignal | undefined
}

function describe(error: unknown, context: CallContext): GitHubApiError {
  const { target, repository, feature, token, signal } = context
  if (error instanceof GitHubApiError) return error
  if (signal?.aborted) {
    return new GitHubApiError(
      `GitHub: the job was cancelled before ${target.what} in ${repository} went through.`,
      0,
    )
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as OctokitError
  const status = typeof e.status === 'number' ? e.status : 0
  const text = scrub(githubText(e), token)
  const said = `${status}${text ? ` ${text}` : ''}`
  if ((status === 403 || status === 429) && isRateLimit(e, text)) {
    const after = e.response?.headers?.['retry-after']
    return new GitHubApiError(
      `GitHub's rate limit stopped ${target.what} in ${repository} (${said})${after ? `; it asks to wait ${after} s` : ''}. ${feature.nextTry}`,
      status,
    )
  }
  if (status === 0 || status >= 500) return unanswered(e, context, status, said)
  const answer = {
    status,
    text,
    refused: `GitHub refused ${target.what} in ${repository} (${said}).`,
    repository,
  }
  return feature.refusal?.(answer, target) ?? refusal(answer, target, feature)
}

/** A 4xx: what it means for the workflow, and what to change. */
function refusal(answer: GitHubRefusal, target: GitHubTarget, feature: GitHubFeature): GitHubApiError {
  const { status, refused } = answer
  switch (status) {
    case 401:
      return new GitHubApiError(`${refused} The token was not accepted. ${feature.permissionFix}`, status)
    case 403:
      return new GitHubApiError(`${refused} ${feature.permissionFix}`, status)
    case 404: {
      const subject = target.subject === undefined ? '' : `, or ${target.subject} is not in it`
      return new GitHubApiError(
        `${refused} The token cannot see the repository${subject}. ${feature.permissionFix}`,
        status,
      )
    }
    case 422:
      return new GitHubApiError(`${refused} GitHub did not accept what was sent.`, status)
    default:
      return new GitHubApiError(refused, status)
  }
}

/** A server error, no answer in time, or no connection. */
function unanswered(e: OctokitError, context: CallContext, status: number, said: string): GitHubApiError {
  const { target, repository, token } = context
  if (status >= 500 && e.response) {
    return new GitHubApiError(
      `GitHub failed ${target.what} in ${repository} (${said}); the trouble is on GitHub's side.`,
      status,
    )
  }
  const name = String(e.name ?? '')
  const timedOut = name === 'TimeoutError' || name === 'AbortError'
  const what = timedOut
    ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
    : `a network error: ${oneLine(scrub(String(e.message ?? ''), token))}`
  return new GitHubApiError(`GitHub: ${target.what} in ${repository} got ${what}.`, 0)
}

function isRateLimit(e: OctokitError, text: string): boolean {
  const headers = e.response?.headers ?? {}
  return (
    headers['retry-after'] !== undefined ||
    headers['x-ratelimit-remaining'] === '0' ||
    /rate limit/i.test(text)
  )
}

/** GitHub's `message`, and the field errors of a 422, in one line. */
function githubText(e: OctokitError): string {
  const data = e.response?.data
  if (typeof data === 'object' && data !== null && 'message' in data && typeof data.message === 'string') {
    const errors =
      'errors' in data && Array.isArray(data.errors)
        ? data.errors
            .map((item: unknown) => (typeof item === 'string' ? item : JSON.stringify(item)))
            .join(', ')
        : ''
    return oneLine(errors ? `${data.message}: ${errors}` : data.message)
  }
  return typeof data === 'string' ? oneLine(data) : ''
}

function scrub(text: string, token: string): string {
  return token ? text.split(token).join('[token]') : text
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim()
  return line.length > MAX_TEXT_IN_ERROR ? `${line.slice(0, MAX_TEXT_IN_ERROR)}…` : line
}
