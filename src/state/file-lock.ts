import { randomUUID } from 'node:crypto'
import { readFileSync, unlinkSync } from 'node:fs'
import { link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'

/**
 * A lock file next to a `file:` state, held from load to save, so that two runs on one state (no
 * `concurrency` group) take turns: the second waits for the first's checkpoint instead of reporting
 * the same entries again. Created with O_EXCL (`wx`), which is atomic on local file systems (and on
 * NFSv3+); the holder writes who it is, so a lock left by a process that died is seen and broken.
 */

export interface FileLockOptions {
  /** How long to wait for another run's lock before failing. */
  waitMs: number
  /** A lock whose holder cannot be checked (another host, unreadable) is broken after this age. */
  staleAfterMs: number
  /** Between looks at a held lock. */
  pollMs?: number
  log: (line: string) => void
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

export interface FileLock {
  readonly path: string
  /** Removes the lock if it is still this run's; safe to call more than once. */
  release(): Promise<void>
}

/** What a holder writes into the lock file. */
interface Holder {
  token: string
  pid: number
  host: string
  /** ISO 8601, for people; the age check uses the file's mtime. */
  since: string
  run?: string
}

const held = new Map<string, string>()
let exitHookInstalled = false

/** Takes the lock at `path`, waiting (bounded) while another live run holds it. */
export async function acquireFileLock(path: string, options: FileLockOptions): Promise<FileLock> {
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const pollMs = options.pollMs ?? 500
  const holder = thisHolder(now())
  const deadline = now() + options.waitMs
  let waitingSaid = false
  for (;;) {
    if (await tryCreate(path, holder)) {
      held.set(path, holder.token)
      installExitHook()
      if (waitingSaid) options.log(`Took the state lock ${path}.`)
      return { path, release: () => releaseLock(path, holder.token) }
    }
    const other = await inspect(path)
    if (other === undefined) continue // released between our attempt and our look: try again at once
    const stale = staleness(other, options.staleAfterMs)
    if (stale) {
      if (await breakLock(path, other.text)) options.log(`Broke a stale state lock ${path}: ${stale}.`)
      continue
    }
    if (now() >= deadline) throw heldTooLong(path, other, options.waitMs)
    if (!waitingSaid) {
      options.log(
        `Waiting for another run that holds the state lock ${path} (${describeHolder(other.holder)}), at most ${Math.round(options.waitMs / 1000)} s.`,
      )
      waitingSaid = true
    }
    await sleep(Math.min(pollMs, Math.max(1, deadline - now())))
  }
}

/** This process, as the lock file names it. */
function thisHolder(nowMs: number): Holder {
  const holder: Holder = {
    token: randomUUID(),
    pid: process.pid,
    host: hostname(),
    since: new Date(nowMs).toISOString(),
  }
  if (process.env.GITHUB_RUN_ID)
    holder.run = `${process.env.GITHUB_RUN_ID}-${process.env.GITHUB_RUN_ATTEMPT ?? '1'}`
  return holder
}

function heldTooLong(path: string, other: SeenLock, waitMs: number): Error {
  return new Error(
    `Another run holds the state lock ${path} (${describeHolder(other.holder)}) and did not finish within ${Math.round(waitMs / 1000)} s. ` +
      'Two runs on one state must not overlap: give the workflow a `concurrency` group, or delete the lock file if no run holds it.',
  )
}

/**
 * The lock appears with its content or not at all: written to a file of this process's own, then
 * hard-linked into place (link fails with EEXIST when a lock exists), so no waiter ever reads a
 * half-written lock and takes it for garbage.
 */
async function tryCreate(path: string, holder: Holder): Promise<boolean> {
  const own = `${path}.${process.pid}.${holder.token}.new`
  try {
    await writeFile(own, `${JSON.stringify(holder)}\n`, { encoding: 'utf8', flag: 'wx' })
    await link(own, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw new Error(`Could not create the state lock ${path}: ${(error as Error).message}`)
  } finally {
    await unlink(own).catch(() => undefined)
  }
}

interface SeenLock {
  text: string
  holder: Partial<Holder> | undefined
  ageMs: number
}

async function inspect(path: string): Promise<SeenLock | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)])
    let holder: Partial<Holder> | undefined
    try {
      const value: unknown = JSON.parse(text)
      if (value && typeof value === 'object') holder = value as Partial<Holder>
    } catch {
      holder = undefined
    }
    return { text, holder, ageMs: Date.now() - info.mtimeMs }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(`Could not read the state lock ${path}: ${(error as Error).message}`)
  }
}

/** Why the lock is stale, or undefined while its holder may be alive. */
function staleness(lock: SeenLock, staleAfterMs: number): string | undefined {
  const { holder } = lock
  if (holder && holder.host === hostname() && Number.isSafeInteger(holder.pid)) {
    // Same machine: ask the kernel. ESRCH = no such process; EPERM = alive, someone else's.
    try {
      process.kill(holder.pid as number, 0)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH')
        return `its holder (process ${holder.pid} on this machine, since ${holder.since ?? '?'}) is no longer running`
    }
    return undefined
  }
  // A holder on another machine (a shared disk) or a lock left half-written: only its age tells.
  if (lock.ageMs > staleAfterMs) {
    return `it is ${Math.round(lock.ageMs / 1000)} s old (${describeHolder(holder)}), longer than any run holds it`
  }
  return undefined
}

/**
 * Removes a stale lock, unless another waiter broke it first and took the lock itself: the lock is
 * moved aside (atomic), and put back if what was moved is not the stale lock that was seen.
 */
async function breakLock(path: string, staleText: string): Promise<boolean> {
  const aside = `${path}.${process.pid}.${randomUUID()}.stale`
  try {
    await rename(path, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
  const moved = await readFile(aside, 'utf8').catch(() => '')
  if (moved !== staleText) {
    // Someone else's fresh lock: put it back (link fails if yet another lock appeared meanwhile).
    await link(aside, path).catch(() => undefined)
    await unlink(aside).catch(() => undefined)
    return false
  }
  await unlink(aside).catch(() => undefined)
  return true
}

async function releaseLock(path: string, token: string): Promise<void> {
  if (held.get(path) !== token) return
  held.delete(path)
  try {
    const text = await readFile(path, 'utf8')
    if (text.includes(token)) await unlink(path)
  } catch {
    // Already gone (broken as stale by another run): nothing to give up.
  }
}

function describeHolder(holder: Partial<Holder> | undefined): string {
  if (!holder) return 'holder unknown'
  const run = holder.run ? `run ${holder.run}, ` : ''
  return `${run}process ${holder.pid ?? '?'} on ${holder.host ?? '?'}, since ${holder.since ?? '?'}`
}

/** A run that ends without releasing (an uncaught error, process.exit) leaves no lock behind. */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const [path, token] of held) {
      try {
        if (readFileSync(path, 'utf8').includes(token)) unlinkSync(path)
      } catch {
        // Gone already.
      }
    }
    held.clear()
  })
}
