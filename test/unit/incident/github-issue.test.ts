import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { GitHubApiError } from '../../../src/github/api.js'
import {
  createGitHubIssues,
  type GitHubIssueDeps,
  GitHubIssueGoneError,
  type GitHubIssues,
  type NewIssue,
} from '../../../src/incident/github-issue.js'
import { proxyAgents } from '../../../src/net/proxy.js'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { fakeClock, rejection } from '../../emulator/test-helpers.js'
import { startForwardProxy, TEST_DOMAIN } from '../../support/forward-proxy.js'

let emulator: Emulator
let logs: string[]

beforeEach(async () => {
  emulator = await startEmulator({ now: fakeClock().now })
  logs = []
})

afterEach(async () => {
  vi.unstubAllEnvs()
  await emulator.stop()
})

function issues(
  token = emulator.github.token,
  overrides: Partial<GitHubIssueDeps> = {},
): Promise<GitHubIssues> {
  return createGitHubIssues(token, { env: emulator.env, log: (line) => logs.push(line), ...overrides })
}

/** The error a call ends with, checked never to carry the token. */
async function failure(promise: Promise<unknown>, token = emulator.github.token): Promise<GitHubApiError> {
  const error = await rejection(promise)
  expect(error).toBeInstanceOf(GitHubApiError)
  expect(error.message).not.toContain(token)
  for (const line of logs) expect(line).not.toContain(token)
  return error as unknown as GitHubApiError
}

const PERMISSION =
  "github-issue: true uses the workflow's GITHUB_TOKEN, which needs `permissions: issues: write` in the workflow or the job"

describe('an incident’s issue', () => {
  it('is opened with labels, commented once per window, relabelled and closed as completed', async () => {
    const github = await issues()
    expect(github.repository).toBe('acme/api')
    const opened: NewIssue = {
      title: 'shop-api: 5xx errors since 12:00',
      body: 'First window: 3 errors',
      labels: ['insights-watch', 'incident'],
    }
    const number = await github.openIssue(opened)
    expect(number).toBe(1)
    await github.comment(number, 'Window 12:05–12:10: 2 more')
    await github.comment(number, 'Window 12:10–12:15: 1 more')
    await github.setLabels(number, ['insights-watch', 'resolved'])
    await github.closeIssue(number, 'Resolved at 12:30')

    const issue = emulator.github.issue(number)
    expect(issue).toMatchObject({
      title: 'shop-api: 5xx errors since 12:00',
      body: 'First window: 3 errors',
      state: 'closed',
      stateReason: 'completed',
      labels: ['insights-watch', 'resolved'],
    })
    expect(issue?.comments.map((c) => c.body)).toEqual([
      'Window 12:05–12:10: 2 more',
      'Window 12:10–12:15: 1 more',
      'Resolved at 12:30',
    ])
    expect(issue?.events.map((e) => e.action)).toEqual([
      'opened',
      'commented',
      'commented',
      'labels',
      'commented',
      'closed',
    ])
    expect(logs).toEqual([])
  })

  it('closes without a comment when there is no body', async () => {
    const github = await issues()
    const number = await github.openIssue({ title: 't', body: 'b', labels: [] })
    await github.closeIssue(number)
    expect(emulator.github.issue(number)).toMatchObject({
      state: 'closed',
      stateReason: 'completed',
      comments: [],
    })
  })

  it('takes the API from GITHUB_API_URL, with or without a trailing slash', async () => {
    const github = await issues(emulator.github.token, {
      env: { ...emulator.env, GITHUB_API_URL: `${emulator.github.apiUrl}/` },
    })
    await github.openIssue({ title: 't', body: 'b', labels: ['x'] })
    expect(emulator.github.issues()).toHaveLength(1)
  })
})

describe('errors say what the workflow needs, never the token', () => {
  it('403 with a token without issues: write', async () => {
    const token = emulator.github.readOnlyToken
    const error = await failure((await issues(token)).openIssue({ title: 't', body: 'b', labels: [] }), token)
    expect(error.status).toBe(403)
    expect(error.message).toBe(
      `GitHub refused a new issue in acme/api (403 Resource not accessible by integration). ${PERMISSION} (a \`permissions:\` block that does not name issues leaves the token without it).`,
    )
  })

  it('404 for a repository the token cannot see', async () => {
    const github = await issues(emulator.github.token, {
      env: { ...emulator.env, GITHUB_REPOSITORY: 'acme/elsewhere' },
    })
    const error = await failure(github.comment(3, 'x'))
    expect(error.status).toBe(404)
    expect(error.message).toContain('GitHub refused a comment on issue #3 in acme/elsewhere (404 Not Found).')
    expect(error.message).toContain('The token cannot see the repository, or issue #3 is not in it.')
    expect(error.message).toContain(PERMISSION)
  })

  it('401 for a token GitHub does not know', async () => {
    const token = 'ghs_notAToken0000000000000000000000000'
    const error = await failure((await issues(token)).setLabels(1, ['x']), token)
    expect(error.status).toBe(401)
    expect(error.message).toContain('(401 Bad credentials)')
    expect(error.message).toContain(PERMISSION)
  })

  it('410 when the repository has issues turned off', async () => {
    emulator.github.addRepository('acme/wiki', { hasIssues: false })
    const github = await issues(emulator.github.token, {
      env: { ...emulator.env, GITHUB_REPOSITORY: 'acme/wiki' },
    })
    const error = await failure(github.openIssue({ title: 't', body: 'b', labels: [] }))
    expect(error.status).toBe(410)
    expect(error.message).toBe(
      'GitHub refused a new issue in acme/wiki (410 Issues are disabled for this repo). Issues are turned off in acme/wiki: turn them on (Settings, General, Features, Issues), or set github-issue: false.',
    )
  })

  it('a deleted issue is its own type, so the caller can open a new one', async () => {
    const github = await issues()
    const number = await github.openIssue({ title: 't', body: 'b', labels: [] })
    emulator.github.deleteIssue(number)
    const error = await failure(github.comment(number, 'x'))
    expect(error).toBeInstanceOf(GitHubIssueGoneError)
    expect(error).toMatchObject({ status: 410, issueNumber: number })
    expect(error.message).toBe('GitHub: issue #1 in acme/api was deleted (410).')
  })

  it('a rate limit is not taken for missing permissions', async () => {
    emulator.inject({ service: 'github', retryAfterSeconds: 60 })
    const error = await failure((await issues()).openIssue({ title: 't', body: 'b', labels: [] }))
    expect(error.status).toBe(403)
    expect(error.message).toBe(
      "GitHub's rate limit stopped a new issue in acme/api (403 You have exceeded a secondary rate limit. Please wait a few minutes before you try again.); it asks to wait 60 s. The next run tries again.",
    )
  })

  it('a 5xx and a dropped connection are GitHub’s trouble', async () => {
    emulator.inject({ service: 'github', status: 502 })
    const server = await failure((await issues()).openIssue({ title: 't', body: 'b', labels: [] }))
    expect(server.message).toBe(
      "GitHub failed a new issue in acme/api (502 Server Error); the trouble is on GitHub's side.",
    )
    emulator.inject({ service: 'github', dropConnection: true })
    const dropped = await failure((await issues()).openIssue({ title: 't', body: 'b', labels: [] }))
    expect(dropped.status).toBe(0)
    expect(dropped.message).toMatch(/^GitHub: a new issue in acme\/api got a network error: /)
  })

  it('422 carries GitHub’s field errors', async () => {
    const error = await failure((await issues()).openIssue({ title: 't'.repeat(257), body: 'b', labels: [] }))
    expect(error.status).toBe(422)
    expect(error.message).toContain('title is too long (maximum is 256 characters)')
  })

  it('a cancelled job stops the call', async () => {
    const controller = new AbortController()
    controller.abort()
    const error = await failure(
      (await issues(emulator.github.token, { signal: controller.signal })).openIssue({
        title: 't',
        body: 'b',
        labels: [],
      }),
    )
    expect(error.message).toBe('GitHub: the job was cancelled before a new issue in acme/api went through.')
    expect(emulator.github.issues()).toEqual([])
  })

  it('needs GITHUB_REPOSITORY as owner/name', async () => {
    const { GITHUB_REPOSITORY: _, ...env } = emulator.env
    await expect(issues(emulator.github.token, { env })).rejects.toThrow(
      'github-issue: true needs GITHUB_REPOSITORY (owner/name), which a GitHub Actions runner sets; it is not set here.',
    )
    await expect(
      issues(emulator.github.token, { env: { ...env, GITHUB_REPOSITORY: 'acme' } }),
    ).rejects.toThrow('it is "acme" here')
  })
})

describe('behind a proxy', () => {
  it('sends every call through the proxy agents when they are set', async () => {
    const proxy = await startForwardProxy()
    try {
      vi.stubEnv('HTTP_PROXY', proxy.url)
      const agents = await proxyAgents({ log: () => {}, setSecret: () => {} })
      const port = new URL(emulator.url).port
      const github = await issues(emulator.github.token, {
        env: { ...emulator.env, GITHUB_API_URL: `http://github.${TEST_DOMAIN}:${port}/github` },
        ...(agents ? { proxyAgents: agents } : {}),
      })
      const number = await github.openIssue({ title: 't', body: 'b', labels: ['x'] })
      await github.closeIssue(number, 'done')
      expect(proxy.carried.map((c) => [c.kind, c.host, c.method, c.path])).toEqual([
        ['forward', `github.${TEST_DOMAIN}`, 'POST', '/github/repos/acme/api/issues'],
        ['forward', `github.${TEST_DOMAIN}`, 'POST', '/github/repos/acme/api/issues/1/comments'],
        ['forward', `github.${TEST_DOMAIN}`, 'PATCH', '/github/repos/acme/api/issues/1'],
      ])
      expect(emulator.github.issue(number)?.state).toBe('closed')
    } finally {
      await proxy.stop()
    }
  })
})
