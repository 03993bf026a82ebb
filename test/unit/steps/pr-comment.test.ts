import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GitHubApiError } from '../../../src/github/api.js'
import { commentMarker, GITHUB_COMMENT_LIMIT } from '../../../src/github/pr-comment.js'
import type { StepDeps } from '../../../src/run-deps.js'
import type { Runner } from '../../../src/runner.js'
import { type PullRequestCommentResult, postPullRequestComment } from '../../../src/steps/pr-comment.js'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import { fakeClock, rejection } from '../../emulator/test-helpers.js'

/** The backtest's pull request comment, posted through octokit to the emulated GitHub. */

let emulator: Emulator
let dir: string
let logs: string[]
let pull: number

const RULES = '.github/insights-watch.yml'

beforeEach(async () => {
  emulator = await startEmulator({ now: fakeClock().now })
  dir = await mkdtemp(join(tmpdir(), 'pr-comment-'))
  logs = []
  pull = emulator.github.addPullRequest({ title: 'Tighten the 5xx rule' })
})

afterEach(async () => {
  await emulator.stop()
  await rm(dir, { recursive: true, force: true })
})

function runner(): Runner {
  return {
    info: (line: string) => logs.push(line),
    warning: (line: string) => logs.push(`warning: ${line}`),
  } as unknown as Runner
}

/** A run on `event` (default pull_request) for `pull`, its payload at GITHUB_EVENT_PATH. */
async function deps(
  options: { event?: string; payload?: unknown; env?: Record<string, string> } = {},
): Promise<StepDeps> {
  const path = join(dir, 'event.json')
  const payload = options.payload ?? {
    pull_request: {
      number: pull,
      head: { repo: { full_name: 'acme/api' } },
      base: { repo: { full_name: 'acme/api' } },
    },
  }
  await writeFile(path, JSON.stringify(payload))
  return {
    now: () => 0,
    sleep: async () => {},
    fetch: (() => {
      throw new Error('no webhook here')
    }) as never,
    env: {
      ...emulator.env,
      GITHUB_EVENT_NAME: options.event ?? 'pull_request',
      GITHUB_EVENT_PATH: path,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '4242',
      ...options.env,
    },
    runner: runner(),
  }
}

const settings = (token = emulator.github.token) => ({ prComment: true, githubToken: token })

async function post(
  body: string,
  options: { key?: string; token?: string; deps?: StepDeps } = {},
): Promise<PullRequestCommentResult> {
  return postPullRequestComment(
    { body, key: options.key ?? RULES },
    settings(options.token),
    options.deps ?? (await deps()),
  )
}

function comments() {
  return emulator.github.issue(pull)?.comments ?? []
}

describe('the backtest on its pull request', () => {
  it('the first run creates one comment, with the hidden marker first', async () => {
    const result = await post('## Backtest\n\n3 alerts in 7 days')
    expect(result).toMatchObject({ posted: true, action: 'created', pullRequest: pull, cut: false })
    expect(comments()).toHaveLength(1)
    expect(comments()[0]?.body).toBe(`${commentMarker(RULES)}\n## Backtest\n\n3 alerts in 7 days`)
    expect(result.posted && result.url).toBe(
      `https://github.com/acme/api/pull/${pull}#issuecomment-${comments()[0]?.id}`,
    )
    expect(logs).toEqual([`Pull request #${pull}: backtest comment created: ${result.posted && result.url}`])
  })

  it('a second run edits the same comment: still one, with the new body', async () => {
    await post('first push: 3 alerts')
    const id = comments()[0]?.id
    const second = await post('second push: 1 alert')
    expect(second).toMatchObject({ posted: true, action: 'updated' })
    expect(comments().map((c) => [c.id, c.body])).toEqual([
      [id, `${commentMarker(RULES)}\nsecond push: 1 alert`],
    ])
    expect(emulator.calls.filter((c) => c.service === 'github').map((c) => c.action)).toEqual([
      'issues.listComments',
      'issues.createComment',
      'issues.listComments',
      'issues.updateComment',
    ])
  })

  it('finds its own on page 2 among 150 comments by people, some quoting it without the marker', async () => {
    for (let i = 1; i <= 150; i++) {
      const body =
        i % 10 === 0
          ? `> ${commentMarker(RULES)}\n> ## Backtest\n> 3 alerts in 7 days\n\nWhy 3?`
          : i % 15 === 0
            ? '## Backtest\n\n3 alerts in 7 days'
            : `LGTM ${i}`
      emulator.github.addComment(pull, body, { user: `reviewer${i % 4}` })
    }
    await post('first push')
    const ours = comments().at(-1)
    expect(comments()).toHaveLength(151)
    const second = await post('second push')
    expect(second).toMatchObject({ posted: true, action: 'updated' })
    expect(comments()).toHaveLength(151)
    expect(comments().at(-1)).toMatchObject({ id: ours?.id, body: `${commentMarker(RULES)}\nsecond push` })
    expect(comments().filter((c) => c.body.includes('second push'))).toHaveLength(1)
    const lists = emulator.calls.filter((c) => c.service === 'github' && c.action === 'issues.listComments')
    // Two pages on each run: per_page 100, and the Link header to page 2.
    expect(lists).toHaveLength(4)
  })

  it('a comment deleted between listing and editing (404) is replaced by a new one', async () => {
    await post('v1')
    emulator.inject({ service: 'github', action: 'issues.updateComment', status: 404, body: 'Not Found' })
    await expect(post('v2')).resolves.toMatchObject({ posted: true, action: 'created' })
    expect(comments().map((c) => c.body.split('\n')[1])).toEqual(['v1', 'v2'])
  })

  it('another key (another rules file) makes a second comment, and each is edited on its own', async () => {
    await post('payments rules: 3 alerts')
    await post('checkout rules: 0 alerts', { key: '.github/checkout-watch.yml' })
    expect(comments()).toHaveLength(2)
    await post('payments rules: 1 alert')
    expect(comments().map((c) => c.body)).toEqual([
      `${commentMarker(RULES)}\npayments rules: 1 alert`,
      `${commentMarker('.github/checkout-watch.yml')}\ncheckout rules: 0 alerts`,
    ])
  })

  it('a key cannot end the hidden comment or break into the markdown', async () => {
    const key = 'rules --> <img src=x onerror=alert(1)> -->'
    const marker = commentMarker(key)
    expect(marker).toMatch(/^<!-- insights-watch backtest [^<>\s]+ -->$/)
    expect(marker.slice(4, -3)).not.toContain('--')
    await post('body', { key })
    await post('body again', { key })
    expect(comments().map((c) => c.body)).toEqual([`${marker}\nbody again`])
  })

  it('posts nothing on a push or a schedule, and says why', async () => {
    for (const event of ['push', 'schedule']) {
      const result = await post('x', { deps: await deps({ event }) })
      expect(result).toEqual({
        posted: false,
        reason: `this run's event is "${event}", not pull_request or pull_request_target; the backtest is in the job summary.`,
      })
    }
    const off = await postPullRequestComment(
      { body: 'x', key: RULES },
      { prComment: false, githubToken: emulator.github.token },
      await deps(),
    )
    expect(off).toEqual({ posted: false, reason: 'pr-comment is false.' })
    expect(logs).toEqual([
      expect.stringContaining('No pull request comment: this run\'s event is "push"'),
      expect.stringContaining('No pull request comment: this run\'s event is "schedule"'),
      'No pull request comment: pr-comment is false.',
    ])
    expect(emulator.calls.filter((c) => c.service === 'github')).toEqual([])
    expect(comments()).toEqual([])
  })

  it('posts on pull_request_target too', async () => {
    const result = await post('x', { deps: await deps({ event: 'pull_request_target' }) })
    expect(result).toMatchObject({ posted: true, action: 'created' })
  })

  it('cuts an over-long body below GitHub’s limit, at a table row, with a note to see the job summary', async () => {
    const rows = Array.from(
      { length: 3000 },
      (_, i) => `| 12:${String(i % 60).padStart(2, '0')} | 5xx | ${i} |`,
    )
    const body = `## Backtest\n\n| window | status | count |\n| --- | --- | --- |\n${rows.join('\n')}`
    expect(body.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT)
    const result = await post(body)
    expect(result).toMatchObject({ posted: true, action: 'created', cut: true })
    const posted = comments()[0]?.body ?? ''
    expect(posted.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT)
    const [kept = '', note = ''] = posted.split('\n\n---\n')
    expect(kept.split('\n').at(-1)).toMatch(/^\| 12:\d\d \| 5xx \| \d+ \|$/)
    expect(note).toBe(
      "**This comment was cut** to fit GitHub's limit of 65,536 characters; the whole backtest is in the job summary of [the workflow run](https://github.com/acme/api/actions/runs/4242).\n",
    )
    expect(logs.at(-1)).toContain('(cut to fit GitHub’s limit; the job summary has all of it)')
  })
})

describe('failures say the fix', () => {
  async function failure(promise: Promise<unknown>): Promise<GitHubApiError> {
    const error = await rejection(promise)
    expect(error).toBeInstanceOf(GitHubApiError)
    for (const token of [emulator.github.token, emulator.github.readOnlyToken]) {
      expect(error.message).not.toContain(token)
    }
    return error as unknown as GitHubApiError
  }

  it('403 without pull-requests: write names the permission', async () => {
    const error = await failure(post('x', { token: emulator.github.readOnlyToken }))
    expect(error.status).toBe(403)
    expect(error.message).toBe(
      `The backtest's pull request comment: GitHub refused a comment on pull request #${pull} in acme/api (403 Resource not accessible by integration). pr-comment uses github-token (the workflow's GITHUB_TOKEN by default), which needs \`permissions: pull-requests: write\` in the workflow or the job (a \`permissions:\` block that does not name pull-requests leaves the token without it); or set pr-comment: false.`,
    )
  })

  it('pull-requests: write alone is enough', async () => {
    await expect(post('x', { token: emulator.github.pullRequestsToken })).resolves.toMatchObject({
      posted: true,
    })
  })

  it('403 on a fork’s pull request says why the permission cannot help', async () => {
    const payload = {
      pull_request: {
        number: pull,
        head: { repo: { full_name: 'someone/api' } },
        base: { repo: { full_name: 'acme/api' } },
      },
    }
    const error = await failure(
      post('x', { token: emulator.github.readOnlyToken, deps: await deps({ payload }) }),
    )
    expect(error.message).toContain('`permissions: pull-requests: write`')
    expect(error.message).toContain(
      "This pull request comes from a fork: on `pull_request`, GitHub gives a fork's run a read-only token",
    )
  })

  it('404 for a pull request the token cannot see', async () => {
    const error = await failure(
      post('x', { deps: await deps({ payload: { pull_request: { number: 77 } } }) }),
    )
    expect(error.status).toBe(404)
    expect(error.message).toContain('The token cannot see the repository, or pull request #77 is not in it.')
  })

  it('a rate limit says to re-run', async () => {
    emulator.inject({ service: 'github', action: 'issues.createComment', retryAfterSeconds: 60 })
    const error = await failure(post('x'))
    expect(error.message).toBe(
      `The backtest's pull request comment: GitHub's rate limit stopped a comment on pull request #${pull} in acme/api (403 You have exceeded a secondary rate limit. Please wait a few minutes before you try again.); it asks to wait 60 s. Re-run the job, or push again, to post it.`,
    )
  })

  it('a failed edit is said, and the comment is left as it was', async () => {
    await post('v1')
    emulator.inject({ service: 'github', action: 'issues.updateComment', status: 502 })
    const error = await failure(post('v2'))
    expect(error.message).toMatch(
      /^The backtest's pull request comment: GitHub failed editing comment \d+ on pull request #\d+ in acme\/api \(502 Server Error\)/,
    )
    expect(comments().map((c) => c.body)).toEqual([`${commentMarker(RULES)}\nv1`])
  })

  it('a pull_request run without its event payload, or without a token', async () => {
    const noPath = await failure(post('x', { deps: await deps({ env: { GITHUB_EVENT_PATH: '' } }) }))
    expect(noPath.message).toContain('GITHUB_EVENT_PATH is not set')
    const noNumber = await failure(post('x', { deps: await deps({ payload: { action: 'opened' } }) }))
    expect(noNumber.message).toContain('has no pull_request.number')
    const noToken = await failure(
      postPullRequestComment({ body: 'x', key: RULES }, { prComment: true }, await deps()),
    )
    expect(noToken.message).toContain('github-token is empty and GITHUB_TOKEN is not set')
    expect(emulator.calls.filter((c) => c.service === 'github')).toEqual([])
  })
})
