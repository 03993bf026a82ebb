import { getOctokit } from '@actions/github'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from './index.js'
import { fakeClock, rejection, T0 } from './test-helpers.js'

let emulator: Emulator

beforeEach(async () => {
  emulator = await startEmulator({ now: fakeClock().now })
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
