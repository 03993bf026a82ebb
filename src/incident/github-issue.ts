import type { ProxyAgentsFactory } from '../net/proxy.js'
import { apiHttpFetch } from '../notify/http-transport.js'

/**
 * The GitHub issue that records an incident (`github-issue: true`): opened with labels, one comment
 * per window, relabelled, closed at resolution. A small client over `@actions/github`'s
 * `getOctokit`, loaded only when a run uses it (the bundle keeps it in a chunk of its own).
 *
 * The API is `GITHUB_API_URL` (the runner sets it; GitHub Enterprise Server's differs) and the
 * repository `GITHUB_REPOSITORY`, both from the run's environment.
 *
 * Requests go over node:http(s), through the run's proxy agents when a proxy is set: octokit's
 * request layer is fetch-based and ignores an `agent` option, so the agents come in with a `fetch` of
 * our own (notify/http-transport.ts), which also bounds each request's time and aborts it with the job.
 * No call is retried: a failure is the caller's to report (the Slack card does not depend on it).
 */

export interface GitHubIssueDeps {
  env: Record<string, string | undefined>
  log: (line: string) => void
  /** Aborted when the job is cancelled: the request in flight is aborted. */
  signal?: AbortSignal
  /** Set behind a proxy (src/net/proxy.ts): requests go through these agents. */
  proxyAgents?: ProxyAgentsFactory
}

export interface NewIssue {
  title: string
  body: string
  labels: readonly string[]
}

export interface GitHubIssues {
  /** `owner/name`, from GITHUB_REPOSITORY. */
  readonly repository: string
  /** Opens the issue; resolves to its number. */
  openIssue(issue: NewIssue): Promise<number>
  comment(issueNumber: number, body: string): Promise<void>
  /** Replaces the issue's labels with these. */
  setLabels(issueNumber: number, labels: readonly string[]): Promise<void>
  /** A closing comment (when there is a body), then the issue closed as completed. */
  closeIssue(issueNumber: number, body?: string): Promise<void>
  /** The issue opened again (the incident came back within `reopen-within`). */
  reopenIssue(issueNumber: number): Promise<void>
}

/** A call GitHub did not take; `status` is its HTTP status (0: no answer). */
export class GitHubIssueError extends Error {
  override name = 'GitHubIssueError'
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

/** The issue was deleted (410 "This issue was deleted"): the caller opens a new one. */
export class GitHubIssueGoneError extends GitHubIssueError {
  override name = 'GitHubIssueGoneError'
  constructor(
    message: string,
    readonly issueNumber: number,
  ) {
    super(message, 410)
  }
}

const DEFAULT_API_URL = 'https://api.github.com'
/** A hung connection must not hold the job until the runner's own timeout. */
const REQUEST_TIMEOUT_MS = 30_000
const MAX_TEXT_IN_ERROR = 300
const PERMISSION_FIX =
  "github-issue: true uses the workflow's GITHUB_TOKEN, which needs `permissions: issues: write` in the workflow or the job (a `permissions:` block that does not name issues leaves the token without it)."

/** What a call was about, for its errors. */
interface Target {
  what: string
  issueNumber?: number
}

/** The client; loads `@actions/github` on first use. Throws when GITHUB_REPOSITORY is not `owner/name`. */
export async function createGitHubIssues(token: string, deps: GitHubIssueDeps): Promise<GitHubIssues> {
  const repository = deps.env.GITHUB_REPOSITORY?.trim() ?? ''
  const [owner, repo, ...rest] = repository.split('/')
  if (!owner || !repo || rest.length > 0) {
    throw new GitHubIssueError(
      `github-issue: true needs GITHUB_REPOSITORY (owner/name), which a GitHub Actions runner sets; it is ${repository ? `"${repository}"` : 'not set'} here.`,
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
  const issues = octokit.rest.issues
  const call = async <T>(target: Target, run: () => Promise<T>): Promise<T> => {
    try {
      return await run()
    } catch (error) {
      throw describe(error, target, repository, deps.signal, token)
    }
  }
  const comment = (issueNumber: number, body: string) =>
    call({ what: `a comment on issue #${issueNumber}`, issueNumber }, async () => {
      await issues.createComment({ owner, repo, issue_number: issueNumber, body })
    })
  return {
    repository,
    openIssue: (issue) =>
      call({ what: 'a new issue' }, async () => {
        const { data } = await issues.create({
          owner,
          repo,
          title: issue.title,
          body: issue.body,
          labels: [...issue.labels],
        })
        if (!Number.isInteger(data.number)) {
          throw new GitHubIssueError(`GitHub answered the new issue in ${repository} without its number.`, 0)
        }
        return data.number
      }),
    comment,
    setLabels: (issueNumber, labels) =>
      call({ what: `the labels of issue #${issueNumber}`, issueNumber }, async () => {
        await issues.setLabels({ owner, repo, issue_number: issueNumber, labels: [...labels] })
      }),
    closeIssue: async (issueNumber, body) => {
      if (body !== undefined && body !== '') await comment(issueNumber, body)
      await call({ what: `closing issue #${issueNumber}`, issueNumber }, async () => {
        await issues.update({
          owner,
          repo,
          issue_number: issueNumber,
          state: 'closed',
          state_reason: 'completed',
        })
      })
    },
    reopenIssue: (issueNumber) =>
      call({ what: `reopening issue #${issueNumber}`, issueNumber }, async () => {
        await issues.update({
          owner,
          repo,
          issue_number: issueNumber,
          state: 'open',
          state_reason: 'reopened',
        })
      }),
  }
}

/**
 * octokit's `fetch`: node:http(s) over the proxy agents when set, each request bounded in time and
 * aborted with the job, answered as a WHATWG Response (octokit iterates its headers).
 */
function octokitFetch(deps: GitHubIssueDeps) {
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

function describe(
  error: unknown,
  target: Target,
  repository: string,
  signal: AbortSignal | undefined,
  token: string,
): GitHubIssueError {
  if (error instanceof GitHubIssueError) return error
  if (signal?.aborted) {
    return new GitHubIssueError(
      `GitHub: the job was cancelled before ${target.what} in ${repository} went through.`,
      0,
    )
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as OctokitError
  const status = typeof e.status === 'number' ? e.status : 0
  const text = scrub(githubText(e), token)
  const answer = {
    status,
    text,
    refused: `GitHub refused ${target.what} in ${repository} (${status}${text ? ` ${text}` : ''}).`,
  }
  if ((status === 403 || status === 429) && isRateLimit(e, text)) {
    const after = e.response?.headers?.['retry-after']
    return new GitHubIssueError(
      `GitHub's rate limit stopped ${target.what} in ${repository} (${status}${text ? ` ${text}` : ''})${after ? `; it asks to wait ${after} s` : ''}. The next run tries again.`,
      status,
    )
  }
  if (status === 0 || status >= 500) return unanswered(e, target, repository, status, text, token)
  return refusal(answer, target, repository)
}

/** A 4xx: what it means for the workflow, and what to change. */
function refusal(
  answer: { status: number; text: string; refused: string },
  target: Target,
  repository: string,
): GitHubIssueError {
  const { status, text, refused } = answer
  switch (status) {
    case 401:
      return new GitHubIssueError(`${refused} The token was not accepted. ${PERMISSION_FIX}`, status)
    case 403:
      return new GitHubIssueError(`${refused} ${PERMISSION_FIX}`, status)
    case 404: {
      const issue = target.issueNumber === undefined ? '' : `, or issue #${target.issueNumber} is not in it`
      return new GitHubIssueError(
        `${refused} The token cannot see the repository${issue}. ${PERMISSION_FIX}`,
        status,
      )
    }
    case 410:
      return goneOrDisabled(refused, text, target, repository)
    case 422:
      return new GitHubIssueError(`${refused} GitHub did not accept what was sent.`, status)
    default:
      return new GitHubIssueError(refused, status)
  }
}

/** 410: the issue was deleted, or the repository has issues turned off. */
function goneOrDisabled(refused: string, text: string, target: Target, repository: string): GitHubIssueError {
  if (target.issueNumber !== undefined && /deleted/i.test(text)) {
    return new GitHubIssueGoneError(
      `GitHub: issue #${target.issueNumber} in ${repository} was deleted (410).`,
      target.issueNumber,
    )
  }
  return new GitHubIssueError(
    `${refused} Issues are turned off in ${repository}: turn them on (Settings, General, Features, Issues), or set github-issue: false.`,
    410,
  )
}

/** A server error, no answer in time, or no connection. */
function unanswered(
  e: OctokitError,
  target: Target,
  repository: string,
  status: number,
  text: string,
  token: string,
): GitHubIssueError {
  if (status >= 500 && e.response) {
    return new GitHubIssueError(
      `GitHub failed ${target.what} in ${repository} (${status}${text ? ` ${text}` : ''}); the trouble is on GitHub's side.`,
      status,
    )
  }
  const name = String(e.name ?? '')
  const timedOut = name === 'TimeoutError' || name === 'AbortError'
  const what = timedOut
    ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
    : `a network error: ${oneLine(scrub(String(e.message ?? ''), token))}`
  return new GitHubIssueError(`GitHub: ${target.what} in ${repository} got ${what}.`, 0)
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
