import { getOctokit } from '@actions/github'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from './index.js'
import { fakeClock, rejection, T0 } from './test-helpers.js'

let emulator: Emulator
let clock: ReturnType<typeof fakeClock>

beforeEach(async () => {
  clock = fakeClock()
  emulator = await startEmulator({ now: clock.now })
})

afterEach(async () => {
  await emulator.stop()
})

/** The real octokit of `@actions/github`, on the emulator's API. */
function octokit(token = emulator.github.token) {
  return getOctokit(token, { baseUrl: emulator.github.apiUrl })
}

const repo = { owner: 'acme', repo: 'api' }

async function status(promise: Promise<unknown>): Promise<{ status: unknown; message: string }> {
  const error = await rejection(promise)
  return { status: error.status, message: error.message }
}

describe('issues through octokit', () => {
  it('opens an issue with labels, comments, relabels and closes it as completed', async () => {
    const { data: created, status: createdStatus } = await octokit().rest.issues.create({
      ...repo,
      title: 'shop-api: 5xx errors',
      body: 'First seen 12:00',
      labels: ['insights-watch', 'incident'],
    })
    expect(createdStatus).toBe(201)
    expect(created).toMatchObject({
      number: 1,
      state: 'open',
      state_reason: null,
      title: 'shop-api: 5xx errors',
      html_url: 'https://github.com/acme/api/issues/1',
      created_at: '2026-01-15T12:00:00Z',
    })
    expect(created.labels.map((l) => (typeof l === 'string' ? l : l.name))).toEqual([
      'insights-watch',
      'incident',
    ])

    const { data: comment } = await octokit().rest.issues.createComment({
      ...repo,
      issue_number: 1,
      body: 'window 12:05',
    })
    expect(comment.body).toBe('window 12:05')
    const { data: labels } = await octokit().rest.issues.setLabels({
      ...repo,
      issue_number: 1,
      labels: ['resolved'],
    })
    expect(labels.map((l) => l.name)).toEqual(['resolved'])
    await octokit().rest.issues.addLabels({ ...repo, issue_number: 1, labels: ['insights-watch'] })
    const { data: closed } = await octokit().rest.issues.update({
      ...repo,
      issue_number: 1,
      state: 'closed',
      state_reason: 'completed',
    })
    expect(closed).toMatchObject({
      state: 'closed',
      state_reason: 'completed',
      closed_at: '2026-01-15T12:00:00Z',
      comments: 1,
    })

    const issue = emulator.github.issue(1)
    expect(issue).toMatchObject({
      state: 'closed',
      stateReason: 'completed',
      labels: ['resolved', 'insights-watch'],
    })
    expect(issue?.comments.map((c) => c.body)).toEqual(['window 12:05'])
    expect(issue?.events.map((e) => e.action)).toEqual(['opened', 'commented', 'labels', 'labels', 'closed'])
    expect(emulator.calls.filter((c) => c.service === 'github').map((c) => [c.action, c.status])).toEqual([
      ['issues.create', 201],
      ['issues.createComment', 201],
      ['issues.setLabels', 200],
      ['issues.addLabels', 200],
      ['issues.update', 200],
    ])
  })

  it('gets an issue and pages its comments with a Link header', async () => {
    await octokit().rest.issues.create({ ...repo, title: 'a' })
    for (const body of ['one', 'two', 'three', 'four', 'five']) {
      await octokit().rest.issues.createComment({ ...repo, issue_number: 1, body })
    }
    const { data: issue } = await octokit().rest.issues.get({ ...repo, issue_number: 1 })
    expect(issue.comments).toBe(5)
    const first = await octokit().rest.issues.listComments({ ...repo, issue_number: 1, per_page: 2 })
    expect(first.data.map((c) => c.body)).toEqual(['one', 'two'])
    expect(first.headers.link).toContain('rel="next"')
    const all = await octokit().paginate(octokit().rest.issues.listComments, {
      ...repo,
      issue_number: 1,
      per_page: 2,
    })
    expect(all.map((c) => c.body)).toEqual(['one', 'two', 'three', 'four', 'five'])
  })

  it('reopens a closed issue with state_reason reopened', async () => {
    await octokit().rest.issues.create({ ...repo, title: 'a' })
    await octokit().rest.issues.update({
      ...repo,
      issue_number: 1,
      state: 'closed',
      state_reason: 'completed',
    })
    const { data } = await octokit().rest.issues.update({ ...repo, issue_number: 1, state: 'open' })
    expect(data).toMatchObject({ state: 'open', state_reason: 'reopened', closed_at: null })
  })
})

describe('refusals, as GitHub answers them', () => {
  it('401 without a token or with an unknown one', async () => {
    const noToken = await rejection(
      fetch(`${emulator.github.apiUrl}/repos/acme/api/issues/1`).then(async (r) => {
        throw Object.assign(new Error(((await r.json()) as { message: string }).message), {
          status: r.status,
        })
      }),
    )
    expect([noToken.status, noToken.message]).toEqual([401, 'Requires authentication'])
    expect(await status(octokit('ghp_unknown').rest.issues.get({ ...repo, issue_number: 1 }))).toMatchObject({
      status: 401,
      message: expect.stringContaining('Bad credentials'),
    })
  })

  it('403 for a write with the read-only token; its reads work', async () => {
    await octokit().rest.issues.create({ ...repo, title: 'a' })
    const readOnly = octokit(emulator.github.readOnlyToken)
    await expect(readOnly.rest.issues.get({ ...repo, issue_number: 1 })).resolves.toMatchObject({
      status: 200,
    })
    for (const write of [
      readOnly.rest.issues.create({ ...repo, title: 'b' }),
      readOnly.rest.issues.createComment({ ...repo, issue_number: 1, body: 'x' }),
      readOnly.rest.issues.update({ ...repo, issue_number: 1, state: 'closed' }),
      readOnly.rest.issues.setLabels({ ...repo, issue_number: 1, labels: ['x'] }),
    ]) {
      expect(await status(write)).toMatchObject({
        status: 403,
        message: expect.stringContaining('Resource not accessible by integration'),
      })
    }
    expect(emulator.github.issues()).toHaveLength(1)
  })

  it('404 for an unknown repository or issue, 410 for issues disabled or an issue deleted', async () => {
    expect(
      await status(octokit().rest.issues.create({ owner: 'acme', repo: 'nope', title: 'a' })),
    ).toMatchObject({
      status: 404,
    })
    expect(await status(octokit().rest.issues.get({ ...repo, issue_number: 9 }))).toMatchObject({
      status: 404,
    })
    emulator.github.addRepository('acme/wiki', { hasIssues: false })
    expect(
      await status(octokit().rest.issues.create({ owner: 'acme', repo: 'wiki', title: 'a' })),
    ).toMatchObject({
      status: 410,
      message: expect.stringContaining('Issues are disabled for this repo'),
    })
    await octokit().rest.issues.create({ ...repo, title: 'a' })
    emulator.github.deleteIssue(1)
    expect(
      await status(octokit().rest.issues.createComment({ ...repo, issue_number: 1, body: 'x' })),
    ).toMatchObject({
      status: 410,
      message: expect.stringContaining('This issue was deleted'),
    })
  })

  it('422 for what GitHub would not take', async () => {
    const tooLong = await status(octokit().rest.issues.create({ ...repo, title: 't'.repeat(257) }))
    expect(tooLong).toMatchObject({
      status: 422,
      message: expect.stringContaining('title is too long (maximum is 256'),
    })
    const label = await status(
      octokit().rest.issues.create({ ...repo, title: 't', labels: ['l'.repeat(51)] }),
    )
    expect(label).toMatchObject({ status: 422 })
    await octokit().rest.issues.create({ ...repo, title: 't' })
    expect(
      await status(octokit().rest.issues.createComment({ ...repo, issue_number: 1, body: '' })),
    ).toMatchObject({
      status: 422,
    })
    expect(
      await status(
        octokit().rest.issues.update({ ...repo, issue_number: 1, state: 'closed', state_reason: 'reopened' }),
      ),
    ).toMatchObject({ status: 422 })
  })

  it('faults: a 502, and a secondary rate limit with Retry-After', async () => {
    emulator.inject({ service: 'github', action: 'issues.create', status: 502 })
    expect(await status(octokit().rest.issues.create({ ...repo, title: 'a' }))).toMatchObject({ status: 502 })
    emulator.inject({ service: 'github', retryAfterSeconds: 60 })
    const limited = await rejection(octokit().rest.issues.create({ ...repo, title: 'a' }))
    expect(limited.status).toBe(403)
    expect((limited.response as { headers: Record<string, string> }).headers['retry-after']).toBe('60')
    expect(emulator.github.issues()).toEqual([])
    expect(emulator.calls.filter((c) => c.service === 'github').map((c) => c.at)).toEqual([T0, T0])
  })
})

describe('pull request comments', () => {
  it('a pull request takes the next issue number and its conversation takes issue comments', async () => {
    await octokit().rest.issues.create({ ...repo, title: 'an issue' })
    const pull = emulator.github.addPullRequest({ title: 'Tighten the 5xx rule' })
    expect(pull).toBe(2)
    const { data: asIssue } = await octokit().rest.issues.get({ ...repo, issue_number: pull })
    expect(asIssue.html_url).toBe('https://github.com/acme/api/pull/2')
    expect(asIssue.pull_request?.html_url).toBe('https://github.com/acme/api/pull/2')
    const { data: created } = await octokit().rest.issues.createComment({
      ...repo,
      issue_number: pull,
      body: 'first',
    })
    expect(created).toMatchObject({
      body: 'first',
      html_url: `https://github.com/acme/api/pull/2#issuecomment-${created.id}`,
      user: { login: 'github-actions[bot]', type: 'Bot' },
    })
  })

  it('edits a comment in place by its id (PATCH …/issues/comments/<id>)', async () => {
    const pull = emulator.github.addPullRequest()
    const { data: created } = await octokit().rest.issues.createComment({
      ...repo,
      issue_number: pull,
      body: 'v1',
    })
    clock.advance(60_000)
    const { data: edited, status: editedStatus } = await octokit().rest.issues.updateComment({
      ...repo,
      comment_id: created.id,
      body: 'v2',
    })
    expect(editedStatus).toBe(200)
    expect(edited).toMatchObject({
      id: created.id,
      body: 'v2',
      created_at: '2026-01-15T12:00:00Z',
      updated_at: '2026-01-15T12:01:00Z',
    })
    const record = emulator.github.issue(pull)
    expect(record?.comments.map((c) => c.body)).toEqual(['v2'])
    expect(record?.events.map((e) => e.action)).toEqual(['opened', 'commented', 'comment edited'])
    expect(emulator.calls.filter((c) => c.service === 'github').map((c) => [c.action, c.status])).toEqual([
      ['issues.createComment', 201],
      ['issues.updateComment', 200],
    ])
    expect(
      await status(octokit().rest.issues.updateComment({ ...repo, comment_id: 999_999, body: 'x' })),
    ).toMatchObject({ status: 404 })
    expect(
      await status(octokit().rest.issues.updateComment({ ...repo, comment_id: created.id, body: '' })),
    ).toMatchObject({ status: 422 })
    expect(
      await status(
        octokit().rest.issues.updateComment({ ...repo, comment_id: created.id, body: 'x'.repeat(65_537) }),
      ),
    ).toMatchObject({ status: 422, message: expect.stringContaining('body is too long (maximum is 65536') })
  })

  it('pages 150 comments by 100, with GitHub’s Link rels, per_page capped at 100', async () => {
    const pull = emulator.github.addPullRequest()
    for (let i = 1; i <= 150; i++)
      emulator.github.addComment(pull, `comment ${i}`, { user: `person${i % 7}` })
    const first = await octokit().rest.issues.listComments({ ...repo, issue_number: pull, per_page: 100 })
    expect(first.data).toHaveLength(100)
    expect(first.data[0]?.user).toMatchObject({ login: 'person1', type: 'User' })
    expect(first.headers.link).toMatch(/[?&]page=2>; rel="next", <[^>]*[?&]page=2>; rel="last"$/)
    const second = await octokit().rest.issues.listComments({
      ...repo,
      issue_number: pull,
      per_page: 100,
      page: 2,
    })
    expect(second.data.map((c) => c.body)).toEqual(Array.from({ length: 50 }, (_, i) => `comment ${i + 101}`))
    expect(second.headers.link).toContain('rel="prev"')
    expect(second.headers.link).not.toContain('rel="next"')
    const capped = await octokit().rest.issues.listComments({ ...repo, issue_number: pull, per_page: 500 })
    expect(capped.data).toHaveLength(100)
    const beyond = await octokit().rest.issues.listComments({
      ...repo,
      issue_number: pull,
      per_page: 100,
      page: 3,
    })
    expect(beyond.data).toEqual([])
  })

  it('pull-requests: write comments on a pull request, not on an issue; the read-only token on neither', async () => {
    await octokit().rest.issues.create({ ...repo, title: 'an issue' })
    const pull = emulator.github.addPullRequest()
    const pulls = octokit(emulator.github.pullRequestsToken)
    const { data: comment } = await pulls.rest.issues.createComment({
      ...repo,
      issue_number: pull,
      body: 'ok',
    })
    await pulls.rest.issues.updateComment({ ...repo, comment_id: comment.id, body: 'ok, edited' })
    expect(
      await status(pulls.rest.issues.createComment({ ...repo, issue_number: 1, body: 'x' })),
    ).toMatchObject({
      status: 403,
      message: expect.stringContaining('Resource not accessible by integration'),
    })
    const readOnly = octokit(emulator.github.readOnlyToken)
    await expect(readOnly.rest.issues.listComments({ ...repo, issue_number: pull })).resolves.toMatchObject({
      status: 200,
    })
    for (const write of [
      readOnly.rest.issues.createComment({ ...repo, issue_number: pull, body: 'x' }),
      readOnly.rest.issues.updateComment({ ...repo, comment_id: comment.id, body: 'x' }),
    ]) {
      expect(await status(write)).toMatchObject({ status: 403 })
    }
    expect(emulator.github.issue(pull)?.comments.map((c) => c.body)).toEqual(['ok, edited'])
  })

  it('issues turned off leave pull requests’ conversations working', async () => {
    emulator.github.addRepository('acme/wiki', { hasIssues: false })
    const pull = emulator.github.addPullRequest({ repository: 'acme/wiki' })
    const wiki = { owner: 'acme', repo: 'wiki' }
    const { data } = await octokit().rest.issues.createComment({ ...wiki, issue_number: pull, body: 'x' })
    await octokit().rest.issues.updateComment({ ...wiki, comment_id: data.id, body: 'y' })
    expect(emulator.github.issue(pull, 'acme/wiki')?.comments.map((c) => c.body)).toEqual(['y'])
  })

  it('faults on issues.updateComment', async () => {
    const pull = emulator.github.addPullRequest()
    const { data } = await octokit().rest.issues.createComment({ ...repo, issue_number: pull, body: 'v1' })
    emulator.inject({ service: 'github', action: 'issues.updateComment', status: 502 })
    expect(
      await status(octokit().rest.issues.updateComment({ ...repo, comment_id: data.id, body: 'v2' })),
    ).toMatchObject({ status: 502 })
    expect(emulator.github.issue(pull)?.comments.map((c) => c.body)).toEqual(['v1'])
  })
})
