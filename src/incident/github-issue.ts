import {
  type GitHubApiDeps,
  GitHubApiError,
  type GitHubFeature,
  type GitHubRefusal,
  type GitHubTarget,
  openGitHubApi,
} from '../github/api.js'

/**
 * The GitHub issue that records an incident (`github-issue: true`): opened with labels, one comment
 * per window, relabelled, closed at resolution, over the action's GitHub client (github/api.ts: the
 * API and repository from the run's environment, proxies, time bounds, errors that say the fix).
 * No call is retried: a failure is the caller's to report (the Slack card does not depend on it).
 */

export type GitHubIssueDeps = GitHubApiDeps

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

/** The issue was deleted (410 "This issue was deleted"): the caller opens a new one. */
export class GitHubIssueGoneError extends GitHubApiError {
  override name = 'GitHubIssueGoneError'
  constructor(
    message: string,
    readonly issueNumber: number,
  ) {
    super(message, 410)
  }
}

const ISSUES: GitHubFeature = {
  input: 'github-issue: true',
  permissionFix:
    "github-issue: true uses the workflow's GITHUB_TOKEN, which needs `permissions: issues: write` in the workflow or the job (a `permissions:` block that does not name issues leaves the token without it).",
  nextTry: 'The next run tries again.',
  refusal: (answer, target) => (answer.status === 410 ? goneOrDisabled(answer, target) : undefined),
}

/** An issue call's target: its 404 may mean the issue is not there. */
function onIssue(what: string, issueNumber: number): GitHubTarget {
  return { what: `${what} issue #${issueNumber}`, subject: `issue #${issueNumber}`, issueNumber }
}

/** The client; loads `@actions/github` on first use. Throws when GITHUB_REPOSITORY is not `owner/name`. */
export async function createGitHubIssues(token: string, deps: GitHubIssueDeps): Promise<GitHubIssues> {
  const { octokit, owner, repo, repository, call } = await openGitHubApi(token, deps, ISSUES)
  const issues = octokit.rest.issues
  const comment = (issueNumber: number, body: string) =>
    call(onIssue('a comment on', issueNumber), async () => {
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
          throw new GitHubApiError(`GitHub answered the new issue in ${repository} without its number.`, 0)
        }
        return data.number
      }),
    comment,
    setLabels: (issueNumber, labels) =>
      call(onIssue('the labels of', issueNumber), async () => {
        await issues.setLabels({ owner, repo, issue_number: issueNumber, labels: [...labels] })
      }),
    closeIssue: async (issueNumber, body) => {
      if (body !== undefined && body !== '') await comment(issueNumber, body)
      await call(onIssue('closing', issueNumber), async () => {
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
      call(onIssue('reopening', issueNumber), async () => {
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

/** 410: the issue was deleted, or the repository has issues turned off. */
function goneOrDisabled(answer: GitHubRefusal, target: GitHubTarget): GitHubApiError {
  const { refused, text, repository } = answer
  if (target.issueNumber !== undefined && /deleted/i.test(text)) {
    return new GitHubIssueGoneError(
      `GitHub: issue #${target.issueNumber} in ${repository} was deleted (410).`,
      target.issueNumber,
    )
  }
  return new GitHubApiError(
    `${refused} Issues are turned off in ${repository}: turn them on (Settings, General, Features, Issues), or set github-issue: false.`,
    410,
  )
}
