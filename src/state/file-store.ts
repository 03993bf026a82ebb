import { mkdir, readFile, rename, rmdir, stat, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { acquireFileLock, type FileLock } from './file-lock.js'
import type { StateStore, StoredState } from './store.js'

export interface FileStoreOptions {
  /** How long load() waits for another run's lock on the same file. */
  lockWaitMs: number
  /** A lock whose holder cannot be checked (another machine) is taken for stale after this age. */
  lockStaleAfterMs: number
  log: (line: string) => void
}

/**
 * `state: file:<path>`: a JSON file, for self-hosted runners and local runs. load() takes the lock
 * `<path>.lock` and holds it until release(), so a second run on the same file waits for the first
 * one's checkpoint instead of reporting the same entries. The first save also writes `<path>.since`
 * (when), left in place: a state file that is gone while it is there was lost, not never made.
 */
export function createFileStore(path: string, options: FileStoreOptions): StateStore {
  const absolute = resolve(path)
  const directory = dirname(absolute)
  const trace = `${absolute}.since`
  let lock: FileLock | undefined
  /** The directory did not exist before load(): removed again if nothing was saved in it. */
  let createdDirectory = false
  return {
    description: `file ${absolute}`,
    async load(): Promise<StoredState> {
      if (!(await exists(directory))) {
        await mkdir(directory, { recursive: true })
        createdDirectory = true
      }
      lock ??= await acquireFileLock(`${absolute}.lock`, {
        waitMs: options.lockWaitMs,
        staleAfterMs: options.lockStaleAfterMs,
        log: options.log,
      })
      let text: string
      try {
        text = await readFile(absolute, 'utf8')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        const since = await readTrace(trace)
        if (since !== undefined) {
          return {
            kind: 'lost',
            reason: `${absolute} is missing, though this monitor has saved state there since ${since} (${trace})`,
          }
        }
        return { kind: 'none' }
      }
      return { kind: 'found', text, origin: absolute }
    },
    async save(content) {
      await mkdir(directory, { recursive: true })
      // Write then rename: a run killed mid-write leaves the previous state, never half a file.
      const partial = `${absolute}.${process.pid}.tmp`
      await writeFile(partial, content, 'utf8')
      await rename(partial, absolute)
      createdDirectory = false
      // The trace that earlier runs saved here: a state file deleted with its directory left is
      // told from a first run by it (a directory alone proves nothing: it may hold other files).
      if ((await readTrace(trace)) === undefined)
        await writeFile(trace, `${new Date().toISOString()}\n`, 'utf8')
    },
    async release() {
      const held = lock
      lock = undefined
      await held?.release()
      // A run that saved nothing (a dry run, a failure with no state) leaves no directory that the
      // next run would take for the trace of a lost state.
      if (createdDirectory) {
        createdDirectory = false
        await rmdir(directory).catch(() => undefined)
      }
    },
  }
}

/** When the first state was saved next to the trace file, or undefined when there is none. */
async function readTrace(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim() || 'an unknown time'
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

/** `state: none`: every run is a first run (no checkpoint, no overlap). */
export function createNullStore(): StateStore {
  return {
    description: 'none (every run checks the last interval)',
    load: async () => ({ kind: 'none' }),
    save: async () => {},
  }
}
