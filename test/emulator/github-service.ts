import type { Fault } from './faults.js'
import { type CallIdentity, headerValue, type Reply, type WireRequest } from './http-types.js'

/**
 * GitHub's REST API for issues, under a base path (`GITHUB_API_URL=<url>/github`, as a GitHub
 * Enterprise Server's `/api/v3`), as octokit (`@actions/github`'s `getOctokit`) calls it: create and
 * get an issue, update it (title, body, state, state_reason, labels), comment, edit a comment, list
 * comments (paged with a Link header), set and add labels. Pull requests share the issues' numbers
 * and take the same comment calls (their conversation is an issue's). A token is
 * `Authorization: token …` or `Bearer …`.
 *
 * Answers as GitHub's: 401 `Requires authentication` / `Bad credentials`; 404 `Not Found` for a
 * repository the token cannot see, an issue or a comment that is not there; 403 `Resource not
 * accessible by integration` for a write the token has no permission for (an issue's needs
 * `issues: write`; a pull request's, `issues: write` or `pull-requests: write`, as GitHub documents
 * for the comment calls); 410 `Issues are disabled for this repo` (pull requests go on) and `This
 * issue was deleted`; 422 `Validation Failed` with GitHub's field errors (a missing title, a title over
 * 256 characters, a body or comment over 65,536, a label over 50).
 */

export const GITHUB_PREFIX = '/github'

export interface GitHubComment {
  id: number
  body: string
  at: number
  /** Last edited (`at` until it is). */
  updatedAt: number
  /** Its author's login: `github-actions[bot]` for the API's tokens, or a person's (`addComment`). */
  user: string
}

/** What a token may write: GITHUB_TOKEN's `issues` and `pull-requests` permissions. */
type Permission = 'issues' | 'pull-requests'

type GitHubIssueEvent =
  | { at: number; action: 'opened'; labels: string[] }
  | { at: number; action: 'commented'; commentId: number }
  | { at: number; action: 'comment edited'; commentId: number }
  | { at: number; action: 'labels'; labels: string[] }
  | { at: number; action: 'edited' }
  | { at: number; action: 'closed'; stateReason: string }
  | { at: number; action: 'reopened' }

export interface GitHubIssueRecord {
  repository: string
  number: number
  id: number
  title: string
  body: string | null
  state: 'open' | 'closed'
  stateReason: string | null
  labels: string[]
  comments: GitHubComment[]
  createdAt: number
  updatedAt: number
  closedAt: number | null
  /** Deleted by the test (`deleteIssue`): 410 "This issue was deleted" from then on. */
  deleted: boolean
  /** A pull request (`addPullRequest`): its conversation's comments are an issue's. */
  pullRequest: boolean
  /** What happened to it, in order. */
  events: GitHubIssueEvent[]
}

interface Repository {
  fullName: string
  hasIssues: boolean
  nextNumber: number
  issues: GitHubIssueRecord[]
}

interface Route {
  method: string
  pattern: RegExp
  action: string
  write: boolean
}

const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/repos\/([^/]+)\/([^/]+)$/, action: 'repos.get', write: false },
  { method: 'POST', pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues$/, action: 'issues.create', write: true },
  {
    method: 'GET',
    pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/,
    action: 'issues.get',
    write: false,
  },
  {
    method: 'PATCH',
    pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)$/,
    action: 'issues.update',
    write: true,
  },
  {
    method: 'POST',
    pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
    action: 'issues.createComment',
    write: true,
  },
  {
    method: 'GET',
    pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
    action: 'issues.listComments',
    write: false,
  },
  {
    method: 'PATCH',
    pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/,
    action: 'issues.updateComment',
    write: true,
  },
  {
    method: 'PUT',
    pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/labels$/,
    action: 'issues.setLabels',
    write: true,
  },
  {
    method: 'POST',
    pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/labels$/,
    action: 'issues.addLabels',
    write: true,
  },
]

const DOCS = 'https://docs.github.com/rest'
const MAX_TITLE = 256
const MAX_BODY = 65_536
const MAX_LABEL = 50
const BOT = 'github-actions[bot]'

class GitHubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: unknown[],
  ) {
    super(message)
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function json(status: number, data: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-github-media-type': 'github.v3; format=json',
      ...headers,
    },
    body: JSON.stringify(data),
    data,
  }
}

function errorReply(error: GitHubError, headers: Record<string, string> = {}): Reply {
  return json(
    error.status,
    {
      message: error.message,
      ...(error.errors ? { errors: error.errors } : {}),
      documentation_url: DOCS,
      status: String(error.status),
    },
    headers,
  )
}

function pathOf(request: WireRequest): string {
  return (request.url.split('?')[0] ?? '').slice(GITHUB_PREFIX.length) || '/'
}

function routeOf(request: WireRequest): { route: Route; match: RegExpExecArray } | undefined {
  const path = pathOf(request)
  for (const route of ROUTES) {
    const match = route.pattern.exec(path)
    if (match && route.method === request.method) return { route, match }
  }
  return undefined
}

function parseBody(request: WireRequest): unknown {
  const raw = request.body.toString('utf8')
  if (raw === '') return undefined
  try {
    return JSON.parse(raw) as unknown
  } catch {
    return raw
  }
}

export class GitHubService {
  /** A token with `issues: write` and `pull-requests: write`. */
  readonly token = 'ghs_emulatorIssuesWrite000000000000000'
  /** A token without `issues: write` (a workflow whose `permissions:` leave issues out): reads only. */
  readonly readOnlyToken = 'ghs_emulatorReadOnly00000000000000000'
  /** A token with `pull-requests: write` only: a pull request's comments, not an issue's. */
  readonly pullRequestsToken = 'ghs_emulatorPullRequestsWrite00000000'
  readonly #permissions = new Map<string, readonly Permission[]>([
    [this.token, ['issues', 'pull-requests']],
    [this.readOnlyToken, []],
    [this.pullRequestsToken, ['pull-requests']],
  ])
  readonly repository = 'acme/api'
  readonly #repositories = new Map<string, Repository>()
  #nextId = 1000

  constructor(private readonly now: () => number) {
    this.addRepository(this.repository)
  }

  static matches(request: WireRequest): boolean {
    const path = request.url.split('?')[0] ?? ''
    return path === GITHUB_PREFIX || path.startsWith(`${GITHUB_PREFIX}/`)
  }

  addRepository(fullName: string, options: { hasIssues?: boolean } = {}): void {
    this.#repositories.set(fullName.toLowerCase(), {
      fullName,
      hasIssues: options.hasIssues ?? true,
      nextNumber: 1,
      issues: [],
    })
  }

  /** The repository's issues, by number. */
  issues(repository = this.repository): GitHubIssueRecord[] {
    return this.#repositories.get(repository.toLowerCase())?.issues ?? []
  }

  issue(issueNumber: number, repository = this.repository): GitHubIssueRecord | undefined {
    return this.issues(repository).find((i) => i.number === issueNumber)
  }

  /** A pull request opened by someone: it takes the next issue number. */
  addPullRequest(options: { title?: string; repository?: string } = {}): number {
    const repository = this.#repositories.get((options.repository ?? this.repository).toLowerCase())
    if (!repository) throw new Error(`The emulator has no repository ${options.repository}`)
    const pull = this.#create(repository, { title: options.title ?? 'A change', body: '' })
    pull.pullRequest = true
    return pull.number
  }

  /** A comment by a person (`user`), as the web page would post it. */
  addComment(
    issueNumber: number,
    body: string,
    options: { user?: string; repository?: string } = {},
  ): number {
    const issue = this.issue(issueNumber, options.repository)
    if (!issue)
      throw new Error(`The emulator has no issue #${issueNumber} in ${options.repository ?? this.repository}`)
    return this.#comment(issue, { body }, options.user ?? 'octocat').id
  }

  /** Someone deleted the issue on GitHub. */
  deleteIssue(issueNumber: number, repository = this.repository): void {
    const issue = this.issue(issueNumber, repository)
    if (!issue) throw new Error(`The emulator has no issue #${issueNumber} in ${repository}`)
    issue.deleted = true
  }

  identify(request: WireRequest): CallIdentity {
    const found = routeOf(request)
    const body = parseBody(request)
    const action = found?.route.action ?? `${request.method} ${pathOf(request)}`
    return body === undefined ? { action } : { action, body }
  }

  handle(request: WireRequest): Reply {
    try {
      return this.#handle(request)
    } catch (error) {
      if (error instanceof GitHubError) return errorReply(error)
      throw error
    }
  }

  faultReply(fault: Fault): Reply {
    if (fault.retryAfterSeconds !== undefined) {
      return errorReply(
        new GitHubError(
          fault.status ?? 403,
          fault.body ??
            'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        ),
        { 'retry-after': String(fault.retryAfterSeconds), 'x-ratelimit-remaining': '0' },
      )
    }
    const status = fault.status ?? 500
    return errorReply(new GitHubError(status, fault.body ?? (status >= 500 ? 'Server Error' : 'Error')))
  }

  #handle(request: WireRequest): Reply {
    const permissions = this.#authenticate(request)
    const found = routeOf(request)
    if (!found) throw new GitHubError(404, 'Not Found')
    const { route, match } = found
    const repository = this.#repositories.get(`${match[1]}/${match[2]}`.toLowerCase())
    if (!repository) throw new GitHubError(404, 'Not Found')
    const body = parseBody(request)
    const input = isObject(body) ? body : {}
    if (route.action === 'repos.get') return json(200, this.#repositoryJson(request, repository))
    if (route.action === 'issues.create') {
      this.#mayWrite(permissions, false)
      if (!repository.hasIssues) throw new GitHubError(410, 'Issues are disabled for this repo')
      return json(201, this.#issueJson(request, this.#create(repository, input)))
    }
    if (route.action === 'issues.updateComment') {
      // A comment's id is the repository's, not its issue's.
      const [issue, comment] = this.#existingComment(repository, Number(match[3]))
      this.#mayWrite(permissions, issue.pullRequest)
      this.#editComment(issue, comment, input)
      return json(200, this.#commentJson(request, issue, comment))
    }
    const issue = this.#existing(repository, Number(match[3]))
    if (route.write) this.#mayWrite(permissions, issue.pullRequest)
    switch (route.action) {
      case 'issues.get':
        return json(200, this.#issueJson(request, issue))
      case 'issues.update':
        this.#update(issue, input)
        return json(200, this.#issueJson(request, issue))
      case 'issues.createComment':
        return json(201, this.#commentJson(request, issue, this.#comment(issue, input)))
      case 'issues.listComments':
        return this.#listComments(request, issue)
      default:
        this.#setLabels(issue, input, route.action === 'issues.addLabels')
        return json(
          200,
          issue.labels.map((name) => this.#labelJson(request, issue, name)),
        )
    }
  }

  /** What the token may write; throws 401 for none or an unknown one. */
  #authenticate(request: WireRequest): readonly Permission[] {
    const header = headerValue(request.headers, 'authorization') ?? ''
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(header)?.[1]
    if (!token) throw new GitHubError(401, 'Requires authentication')
    const permissions = this.#permissions.get(token)
    if (!permissions) throw new GitHubError(401, 'Bad credentials')
    return permissions
  }

  /** An issue's writes need `issues: write`; a pull request's either permission (GitHub's docs). */
  #mayWrite(permissions: readonly Permission[], pullRequest: boolean): void {
    if (permissions.includes('issues') || (pullRequest && permissions.includes('pull-requests'))) return
    throw new GitHubError(403, 'Resource not accessible by integration')
  }

  #existing(repository: Repository, issueNumber: number): GitHubIssueRecord {
    const issue = repository.issues.find((i) => i.number === issueNumber)
    if (!issue) throw new GitHubError(404, 'Not Found')
    if (issue.deleted) throw new GitHubError(410, 'This issue was deleted')
    // Turning issues off leaves pull requests, and their conversations, as they were.
    if (!repository.hasIssues && !issue.pullRequest)
      throw new GitHubError(410, 'Issues are disabled for this repo')
    return issue
  }

  /** A comment by its id; a deleted issue's comments are gone with it. */
  #existingComment(repository: Repository, commentId: number): [GitHubIssueRecord, GitHubComment] {
    for (const issue of repository.issues) {
      const comment = issue.comments.find((c) => c.id === commentId)
      if (!comment || issue.deleted) continue
      if (!repository.hasIssues && !issue.pullRequest)
        throw new GitHubError(410, 'Issues are disabled for this repo')
      return [issue, comment]
    }
    throw new GitHubError(404, 'Not Found')
  }

  #create(repository: Repository, input: Record<string, unknown>): GitHubIssueRecord {
    const title = input.title
    if (typeof title !== 'string' && typeof title !== 'number') {
      throw new GitHubError(422, 'Invalid request.\n\n"title" wasn\'t supplied.')
    }
    const body = typeof input.body === 'string' ? input.body : null
    checkLength('Issue', 'title', String(title), MAX_TITLE)
    if (body !== null) checkLength('Issue', 'body', body, MAX_BODY)
    const labels = labelNames(input.labels)
    const at = this.now()
    const issue: GitHubIssueRecord = {
      repository: repository.fullName,
      number: repository.nextNumber,
      id: this.#nextId++,
      title: String(title),
      body,
      state: 'open',
      stateReason: null,
      labels,
      comments: [],
      createdAt: at,
      updatedAt: at,
      closedAt: null,
      deleted: false,
      pullRequest: false,
      events: [{ at, action: 'opened', labels: [...labels] }],
    }
    repository.nextNumber += 1
    repository.issues.push(issue)
    return issue
  }

  #update(issue: GitHubIssueRecord, input: Record<string, unknown>): void {
    const at = this.now()
    if (typeof input.title === 'string') {
      checkLength('Issue', 'title', input.title, MAX_TITLE)
      issue.title = input.title
      issue.events.push({ at, action: 'edited' })
    }
    if (typeof input.body === 'string') {
      checkLength('Issue', 'body', input.body, MAX_BODY)
      issue.body = input.body
      issue.events.push({ at, action: 'edited' })
    }
    if (input.labels !== undefined) {
      issue.labels = labelNames(input.labels)
      issue.events.push({ at, action: 'labels', labels: [...issue.labels] })
    }
    if (input.state !== undefined) this.#setState(issue, input.state, input.state_reason, at)
    issue.updatedAt = at
  }

  #setState(issue: GitHubIssueRecord, state: unknown, reason: unknown, at: number): void {
    if (state !== 'open' && state !== 'closed') {
      throw new GitHubError(422, 'Validation Failed', [
        { resource: 'Issue', code: 'invalid', field: 'state' },
      ])
    }
    const reasons = state === 'closed' ? ['completed', 'not_planned', 'duplicate'] : ['reopened']
    if (reason !== undefined && reason !== null && !reasons.includes(String(reason))) {
      throw new GitHubError(422, 'Validation Failed', [
        { resource: 'Issue', code: 'invalid', field: 'state_reason' },
      ])
    }
    if (state === 'closed' && issue.state === 'open') {
      issue.state = 'closed'
      issue.stateReason = typeof reason === 'string' ? reason : 'completed'
      issue.closedAt = at
      issue.events.push({ at, action: 'closed', stateReason: issue.stateReason })
    } else if (state === 'open' && issue.state === 'closed') {
      issue.state = 'open'
      issue.stateReason = 'reopened'
      issue.closedAt = null
      issue.events.push({ at, action: 'reopened' })
    }
  }

  #comment(issue: GitHubIssueRecord, input: Record<string, unknown>, user = BOT): GitHubComment {
    const body = commentBody(input)
    const at = this.now()
    const comment: GitHubComment = { id: this.#nextId++, body, at, updatedAt: at, user }
    issue.comments.push(comment)
    issue.updatedAt = at
    issue.events.push({ at, action: 'commented', commentId: comment.id })
    return comment
  }

  #editComment(issue: GitHubIssueRecord, comment: GitHubComment, input: Record<string, unknown>): void {
    comment.body = commentBody(input)
    comment.updatedAt = this.now()
    issue.events.push({ at: comment.updatedAt, action: 'comment edited', commentId: comment.id })
  }

  #setLabels(issue: GitHubIssueRecord, input: Record<string, unknown>, add: boolean): void {
    const names = labelNames(input.labels)
    issue.labels = add ? [...new Set([...issue.labels, ...names])] : names
    issue.updatedAt = this.now()
    issue.events.push({ at: issue.updatedAt, action: 'labels', labels: [...issue.labels] })
  }

  #listComments(request: WireRequest, issue: GitHubIssueRecord): Reply {
    const query = new URLSearchParams(request.url.split('?')[1] ?? '')
    const perPage = Math.min(100, Math.max(1, Number(query.get('per_page') ?? 30) || 30))
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1)
    const items = issue.comments.slice((page - 1) * perPage, page * perPage)
    const last = Math.max(1, Math.ceil(issue.comments.length / perPage))
    const links: string[] = []
    const pageUrl = (n: number) =>
      `${this.#apiBase(request)}/repos/${issue.repository}/issues/${issue.number}/comments?per_page=${perPage}&page=${n}`
    if (page < last) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(last)}>; rel="last"`)
    if (page > 1) links.push(`<${pageUrl(1)}>; rel="first"`, `<${pageUrl(page - 1)}>; rel="prev"`)
    return json(
      200,
      items.map((c) => this.#commentJson(request, issue, c)),
      links.length > 0 ? { link: links.join(', ') } : {},
    )
  }

  /** The API's base as the client reached it (through a proxy, under another name). */
  #apiBase(request: WireRequest): string {
    const host = headerValue(request.headers, 'host') ?? '127.0.0.1'
    return `${request.tls ? 'https' : 'http'}://${host}${GITHUB_PREFIX}`
  }

  #repositoryJson(request: WireRequest, repository: Repository): Record<string, unknown> {
    const [owner, name] = repository.fullName.split('/')
    return {
      id: 1,
      name,
      full_name: repository.fullName,
      owner: { login: owner, type: 'Organization' },
      private: true,
      has_issues: repository.hasIssues,
      html_url: `https://github.com/${repository.fullName}`,
      url: `${this.#apiBase(request)}/repos/${repository.fullName}`,
    }
  }

  #issueJson(request: WireRequest, issue: GitHubIssueRecord): Record<string, unknown> {
    const url = `${this.#apiBase(request)}/repos/${issue.repository}/issues/${issue.number}`
    return {
      id: issue.id,
      node_id: `I_emulator${issue.id}`,
      url,
      repository_url: `${this.#apiBase(request)}/repos/${issue.repository}`,
      comments_url: `${url}/comments`,
      html_url: htmlUrl(issue),
      number: issue.number,
      ...(issue.pullRequest
        ? {
            pull_request: {
              url: `${this.#apiBase(request)}/repos/${issue.repository}/pulls/${issue.number}`,
              html_url: htmlUrl(issue),
            },
          }
        : {}),
      state: issue.state,
      state_reason: issue.stateReason,
      title: issue.title,
      body: issue.body,
      user: { login: 'github-actions[bot]', type: 'Bot' },
      labels: issue.labels.map((name) => this.#labelJson(request, issue, name)),
      locked: false,
      assignees: [],
      comments: issue.comments.length,
      created_at: new Date(issue.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      updated_at: new Date(issue.updatedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      closed_at:
        issue.closedAt === null ? null : new Date(issue.closedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      author_association: 'NONE',
    }
  }

  #commentJson(
    request: WireRequest,
    issue: GitHubIssueRecord,
    comment: GitHubComment,
  ): Record<string, unknown> {
    const issueUrl = `${this.#apiBase(request)}/repos/${issue.repository}/issues/${issue.number}`
    return {
      id: comment.id,
      node_id: `IC_emulator${comment.id}`,
      url: `${this.#apiBase(request)}/repos/${issue.repository}/issues/comments/${comment.id}`,
      html_url: `${htmlUrl(issue)}#issuecomment-${comment.id}`,
      issue_url: issueUrl,
      body: comment.body,
      user: { login: comment.user, type: comment.user.endsWith('[bot]') ? 'Bot' : 'User' },
      created_at: new Date(comment.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      updated_at: new Date(comment.updatedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      author_association: 'NONE',
    }
  }

  #labelJson(request: WireRequest, issue: GitHubIssueRecord, name: string): Record<string, unknown> {
    return {
      id: labelId(name),
      node_id: `LA_emulator${labelId(name)}`,
      url: `${this.#apiBase(request)}/repos/${issue.repository}/labels/${encodeURIComponent(name)}`,
      name,
      color: 'ededed',
      default: false,
      description: null,
    }
  }
}

/** Labels as names: strings or `{ name }` objects, as GitHub takes them; a label that is not there is created. */
function labelNames(labels: unknown): string[] {
  if (labels === undefined || labels === null) return []
  if (!Array.isArray(labels)) {
    throw new GitHubError(422, 'Validation Failed', [{ resource: 'Label', code: 'invalid', field: 'labels' }])
  }
  const names = labels.map((label) => (isObject(label) ? label.name : label))
  for (const name of names) {
    if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_LABEL) {
      throw new GitHubError(422, 'Validation Failed', [
        { resource: 'Label', code: 'invalid', field: 'name', value: typeof name === 'string' ? name : null },
      ])
    }
  }
  return [...new Set(names as string[])]
}

/** A comment's `body`: required, not empty, at most 65,536 characters. */
function commentBody(input: Record<string, unknown>): string {
  if (typeof input.body !== 'string' || input.body === '') {
    throw new GitHubError(422, 'Validation Failed', [
      { resource: 'IssueComment', code: 'missing_field', field: 'body' },
    ])
  }
  checkLength('IssueComment', 'body', input.body, MAX_BODY)
  return input.body
}

/** An issue's page, or a pull request's (`/pull/<n>`). */
function htmlUrl(issue: GitHubIssueRecord): string {
  return `https://github.com/${issue.repository}/${issue.pullRequest ? 'pull' : 'issues'}/${issue.number}`
}

function checkLength(resource: string, field: string, value: string, max: number): void {
  if (value.length > max) {
    throw new GitHubError(422, 'Validation Failed', [
      { resource, code: 'custom', field, message: `${field} is too long (maximum is ${max} characters)` },
    ])
  }
}

function labelId(name: string): number {
  let hash = 7
  for (const char of name) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) % 1_000_000_007
  return hash
}
