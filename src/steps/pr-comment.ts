import { readFile } from 'node:fs/promises'
import { errorMessage } from '../errors.js'
import { GitHubApiError, type GitHubFeature, openGitHubApi } from '../github/api.js'
import { upsertPullRequestComment } from '../github/pr-comment.js'
import { workflowRunUrl } from '../notify/console-link.js'
import { apiClientDeps, type StepDeps } from '../run-deps.js'
import type { Settings } from '../settings.js'

/**
 * Step (a backtest, `pr-comment`): the backtest posted on its pull request as one comment per key,
 * edited in place on later pushes. Only on a `pull_request` or `pull_request_target` run; any other run
 * says in the log why nothing was posted. A failure throws an error that says the fix; the caller
 * fails the step after the job summary is written.
 */

export interface PullRequestCommentRequest {
  /** The comment's markdown, made by the caller (log text in it escaped there). */
  body: string
  /** Tells this comment from others on the same pull request: the rules file's path. */
  key: string
}

export type PullRequestCommentResult =
  | { posted: false; reason: string }
  | {
      posted: true
      action: 'created' | 'updated'
      pullRequest: number
      /** The comment's page. */
      url: string
      /** Over GitHub's limit: cut, with a note pointing to the job summary. */
      cut: boolean
    }

const PR_EVENTS = new Set(['pull_request', 'pull_request_target'])

const PR_COMMENT: GitHubFeature = {
  input: 'pr-comment',
  permissionFix:
    "pr-comment uses github-token (the workflow's GITHUB_TOKEN by default), which needs `permissions: pull-requests: write` in the workflow or the job (a `permissions:` block that does not name pull-requests leaves the token without it); or set pr-comment: false.",
  nextTry: 'Re-run the job, or push again, to post it.',
}

export async function postPullRequestComment(
  request: PullRequestCommentRequest,
  settings: Pick<Settings, 'prComment' | 'githubToken'>,
  deps: StepDeps,
): Promise<PullRequestCommentResult> {
  const skip = (reason: string): PullRequestCommentResult => {
    deps.runner.info(`No pull request comment: ${reason}`)
    return { posted: false, reason }
  }
  if (!settings.prComment) return skip('pr-comment is false.')
  const event = deps.env.GITHUB_EVENT_NAME?.trim() ?? ''
  if (!PR_EVENTS.has(event)) {
    return skip(
      `this run's event is ${event ? `"${event}"` : 'not set (not a GitHub Actions run)'}, not pull_request or pull_request_target; the backtest is in the job summary.`,
    )
  }
  const pull = await pullRequestOf(deps.env, event)
  if (!settings.githubToken) {
    throw new GitHubApiError(
      `The backtest's pull request comment: github-token is empty and GITHUB_TOKEN is not set; leave github-token at its default (\${{ github.token }}) or pass a token with pull-requests: write, or set pr-comment: false.`,
      0,
    )
  }
  try {
    const api = await openGitHubApi(settings.githubToken, apiClientDeps(deps), PR_COMMENT)
    const runUrl = linkable(workflowRunUrl(deps.env))
    const posted = await upsertPullRequestComment(api, pull.number, {
      ...request,
      ...(runUrl ? { runUrl } : {}),
    })
    const cut = posted.cut ? ' (cut to fit GitHub’s limit; the job summary has all of it)' : ''
    deps.runner.info(`Pull request #${pull.number}: backtest comment ${posted.action}${cut}: ${posted.url}`)
    return { posted: true, action: posted.action, pullRequest: pull.number, url: posted.url, cut: posted.cut }
  } catch (error) {
    const status = error instanceof GitHubApiError ? error.status : 0
    const fork = status === 403 && event === 'pull_request' && pull.fromFork ? FORK_NOTE : ''
    throw new GitHubApiError(`The backtest's pull request comment: ${errorMessage(error)}${fork}`, status)
  }
}

/** Why the permission alone will not do on a fork's pull request. */
const FORK_NOTE =
  " This pull request comes from a fork: on `pull_request`, GitHub gives a fork's run a read-only token whatever `permissions:` says, so no comment can be posted from it; the backtest is in the job summary."

interface PullRequestEvent {
  number: number
  /** Its head is another repository's. */
  fromFork: boolean
}

/** The pull request's number from the event's payload (GITHUB_EVENT_PATH), and whether it comes from a fork. */
async function pullRequestOf(
  env: Record<string, string | undefined>,
  event: string,
): Promise<PullRequestEvent> {
  const path = env.GITHUB_EVENT_PATH?.trim()
  const fail = (what: string) =>
    new GitHubApiError(
      `The backtest's pull request comment: this ${event} run's event payload ${what}; the runner writes it at GITHUB_EVENT_PATH. Run it as a GitHub Actions ${event} job, or set pr-comment: false.`,
      0,
    )
  if (!path) throw fail('is not there (GITHUB_EVENT_PATH is not set)')
  let payload: unknown
  try {
    payload = JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    throw fail(`could not be read (${errorMessage(error)})`)
  }
  const pull = field(payload, 'pull_request')
  const number = field(pull, 'number')
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) {
    throw fail('has no pull_request.number')
  }
  const head = field(field(field(pull, 'head'), 'repo'), 'full_name')
  const base = field(field(field(pull, 'base'), 'repo'), 'full_name')
  return { number, fromFork: typeof head === 'string' && typeof base === 'string' && head !== base }
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined
}

/** The run's URL as a markdown link target: an http(s) URL, nothing that could end the link. */
function linkable(url: string | undefined): string | undefined {
  if (!url) return undefined
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined
    return parsed.href.replaceAll('(', '%28').replaceAll(')', '%29')
  } catch {
    return undefined
  }
}
