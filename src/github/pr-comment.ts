import { type GitHubApi, GitHubApiError } from './api.js'

/**
 * The backtest's comment on a pull request: one comment per key (a rules file), found again by a
 * hidden marker on its first line and edited in place on later pushes, so the conversation gets one
 * comment that stays current rather than one per push.
 *
 * The body is the caller's markdown (made of log text, escaped by the caller); this module adds only
 * the marker (the key percent-encoded, so no key can end the HTML comment) and, when the body is over
 * GitHub's limit, a note of our own words saying where it was cut.
 */

/** GitHub refuses a comment body over 65,536 characters (422 "body is too long"). */
export const GITHUB_COMMENT_LIMIT = 65_536
/**
 * Where a long body is cut: below the limit by a margin, since GitHub's count may not be JavaScript's
 * (UTF-16 units) for every character.
 */
const CUT_AT = 65_000
const PER_PAGE = 100

export interface CommentPosted {
  action: 'created' | 'updated'
  /** The comment's page (`html_url`). */
  url: string
  id: number
  /** The body was over the limit and was cut, with a note. */
  cut: boolean
}

/** The hidden first line that tells this key's comment from every other. */
export function commentMarker(key: string): string {
  // `-` too: `--` has no place inside an HTML comment, and `>` (encoded) cannot close it early.
  return `<!-- insights-watch backtest ${encodeURIComponent(key).replaceAll('-', '%2D')} -->`
}

/**
 * The comment as posted: the marker, then the body, cut below GitHub's limit when it is over: at a line
 * end (a table row or an HTML line stays whole), an open code fence or `<details>`/`<table>` closed,
 * then a note that it was cut and where the whole of it is.
 */
export function commentText(key: string, body: string, runUrl?: string): { text: string; cut: boolean } {
  const marker = `${commentMarker(key)}\n`
  const room = CUT_AT - marker.length
  if (body.length <= room) return { text: marker + body, cut: false }
  const note = cutNote(runUrl)
  let end = room - note.length
  for (;;) {
    if (end <= 0) return { text: marker + note.trimStart(), cut: true }
    const kept = body.slice(0, cutPoint(body, end))
    const text = kept + closers(kept) + note
    if (text.length <= room) return { text: marker + text, cut: true }
    end -= text.length - room
  }
}

function cutNote(runUrl: string | undefined): string {
  const where = runUrl ? `the job summary of [the workflow run](${runUrl})` : "the workflow run's job summary"
  return `\n\n---\n**This comment was cut** to fit GitHub's limit of ${GITHUB_COMMENT_LIMIT.toLocaleString('en-US')} characters; the whole backtest is in ${where}.\n`
}

/** Where to cut at or before `end`: a line end, or, in a line longer than half the room, not in a tag, entity or character. */
function cutPoint(body: string, end: number): number {
  const lineEnd = body.lastIndexOf('\n', end)
  if (lineEnd >= end / 2) return lineEnd
  let at = end
  const code = body.charCodeAt(at - 1)
  if (code >= 0xd800 && code <= 0xdbff) at -= 1
  const tag = body.lastIndexOf('<', at - 1)
  if (tag > body.lastIndexOf('>', at - 1)) at = tag
  const entity = body.lastIndexOf('&', at - 1)
  if (entity >= 0 && entity > at - 12 && !body.slice(entity, at).includes(';')) at = entity
  return at
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/
const BLOCK_TAG = /<(\/?)(details|table|pre)\b[^>]*>/gi

/** What closes the code fence and the `<details>`, `<table>` and `<pre>` left open by the cut. */
function closers(kept: string): string {
  let fence: string | undefined
  const open: string[] = []
  for (const line of kept.split('\n')) {
    const mark = FENCE.exec(line)?.[1]
    if (mark && (fence === undefined || (mark[0] === fence[0] && mark.length >= fence.length))) {
      fence = fence === undefined ? mark : undefined
      continue
    }
    if (fence !== undefined) continue
    for (const [, closing, name = ''] of line.matchAll(BLOCK_TAG)) {
      const tag = name.toLowerCase()
      if (!closing) open.push(tag)
      else if (open.at(-1) === tag) open.pop()
    }
  }
  const endFence = fence === undefined ? '' : `\n${fence}`
  return (
    endFence +
    open
      .reverse()
      .map((tag) => `\n</${tag}>`)
      .join('')
  )
}

/**
 * Creates this key's comment on the pull request, or edits the one an earlier run made: every page of
 * the conversation is read (hundreds of comments happen), and the first comment that starts with the
 * marker is ours (a person quoting it starts with `>`, or without the hidden line).
 */
export async function upsertPullRequestComment(
  api: GitHubApi,
  pullNumber: number,
  comment: { key: string; body: string; runUrl?: string },
): Promise<CommentPosted> {
  const { octokit, owner, repo } = api
  const { text, cut } = commentText(comment.key, comment.body, comment.runUrl)
  const marker = `${commentMarker(comment.key)}\n`
  const onPull = { subject: `pull request #${pullNumber}` }
  const existing = await api.call(
    { what: `the comments of pull request #${pullNumber}`, ...onPull },
    async () => {
      const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
        owner,
        repo,
        issue_number: pullNumber,
        per_page: PER_PAGE,
      })
      for await (const { data } of pages) {
        const ours = data.find((c) => c.body?.startsWith(marker))
        if (ours) return ours.id
      }
      return undefined
    },
  )
  if (existing !== undefined) {
    try {
      const { data } = await api.call(
        {
          what: `editing comment ${existing} on pull request #${pullNumber}`,
          subject: `comment ${existing}`,
        },
        () => octokit.rest.issues.updateComment({ owner, repo, comment_id: existing, body: text }),
      )
      return { action: 'updated', url: data.html_url, id: data.id, cut }
    } catch (error) {
      // Deleted by someone since it was listed: a new one takes its place.
      if (!(error instanceof GitHubApiError && error.status === 404)) throw error
    }
  }
  const { data } = await api.call({ what: `a comment on pull request #${pullNumber}`, ...onPull }, () =>
    octokit.rest.issues.createComment({ owner, repo, issue_number: pullNumber, body: text }),
  )
  return { action: 'created', url: data.html_url, id: data.id, cut }
}
