import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import * as cache from '@actions/cache'
import { errorMessage } from '../errors.js'
import { lookupEntry } from './cache-lookup.js'
import type { StateStore, StoredState } from './store.js'

export interface ActionsCacheStoreOptions {
  /** Common to every run of one monitor; the newest entry under it is restored. No commas. */
  keyPrefix: string
  /**
   * Unique per run (and attempt): entries are immutable, so each save needs a key of its own. A run
   * that saves again (a failure recorded after its checkpoint) adds `-2`, `-3`, … to it.
   */
  runKey: string
  /** A private directory (under RUNNER_TEMP) for the state file; created when missing. */
  directory: string
  log: (line: string) => void
}

/** The one file in every cache entry, and the `paths` the cache version is hashed from. */
export const STATE_FILE = 'insights-watch-state.json'
const MAX_KEY_LENGTH = 512

/**
 * `state: actions-cache`: the checkpoint as a GitHub Actions cache entry, one new key per save
 * (`keyPrefix + runKey`, then `-2`, …), the newest restored by prefix (actions/cache "Update a cache").
 *
 * load() asks the cache service which entry is newest under the prefix (lookupEntry: a miss and a
 * failure are told apart there, which restoreCache cannot do), then restores that entry. It answers
 * `none` only when the service says there is no entry; it throws when the service cannot be asked,
 * when the entry found cannot be restored (restoreCache answered "no entry" for an entry that
 * exists: its download or extraction failed, as @actions/cache's "Failed to restore" above says),
 * or when the restored state file cannot be read. An entry restored without a state file in it is
 * `lost`: earlier runs saved state, and it is unusable.
 *
 * save() throws unless the library answered with a cache id: it logs most failures (key already
 * taken, service error, upload failure, read-only cache mode) and returns -1 instead of throwing.
 *
 * newerSave() looks again just before a save: an entry under the prefix that is neither the one
 * loaded nor one this run saved was saved by another run meanwhile (two runs without a
 * `concurrency` group), and is restored for the caller to merge.
 */
export function createActionsCacheStore(options: ActionsCacheStoreOptions): StateStore {
  const { keyPrefix, runKey, log } = options
  // Absolute: it becomes the working directory during each call, and tar's -C relative to that.
  const directory = resolve(options.directory)
  const saveKey = keyPrefix + runKey
  const problem = keyProblem(keyPrefix, saveKey)
  if (problem) throw new Error(`Invalid Actions cache key ${JSON.stringify(saveKey)}: ${problem}`)
  const file = join(directory, STATE_FILE)
  let saves = 0
  /** The entries this run has read or written: a newest entry among them is no other run's. */
  const known = new Set<string>()

  /** Which entry is newest under the prefix, from the service itself; throws when it cannot tell. */
  const newest = async (primaryKey: string): Promise<string | undefined> => {
    try {
      return await lookupEntry([STATE_FILE], primaryKey, keyPrefix)
    } catch (error) {
      throw new Error(
        `Could not ask the Actions cache for the state (keys ${keyPrefix}…): ${errorMessage(error)}. ` +
          'This is not "no checkpoint": the saved state may be there, so this run neither starts fresh nor saves over it.',
      )
    }
  }

  /** Restores the entry `key` and reads its state file; undefined when the entry holds none. */
  const restore = async (key: string): Promise<{ text?: string; matched: string }> => {
    await mkdir(directory, { recursive: true })
    await rm(file, { force: true })
    let matched: string | undefined
    try {
      matched = await rootedIn(directory, () => cache.restoreCache([STATE_FILE], key))
    } catch (error) {
      throw new Error(
        `Could not restore the state from the Actions cache entry ${key}: ${errorMessage(error)}`,
      )
    }
    if (matched === undefined) {
      throw new Error(
        `The Actions cache entry ${key} exists but could not be restored (@actions/cache's "Failed to restore" ` +
          'message above says why). This is not "no checkpoint": this run neither starts fresh nor saves over it.',
      )
    }
    known.add(matched)
    try {
      return { text: await readFile(file, 'utf8'), matched }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { matched }
      throw new Error(
        `The Actions cache entry ${matched} was restored but ${STATE_FILE} could not be read from it: ${errorMessage(error)}`,
      )
    }
  }

  return {
    description: `actions cache (${keyPrefix}…)`,

    async load(): Promise<StoredState> {
      requireCacheService()
      return serialized(async () => {
        await mkdir(directory, { recursive: true })
        // A file left by an earlier step of this job must not pass for a restored one.
        await rm(file, { force: true })
        // The primary key is this run's own key, which no entry has yet; the prefix finds the newest.
        const key = await newest(saveKey)
        if (key === undefined) {
          log(`No state in the Actions cache under ${keyPrefix}… (the cache service found no entry).`)
          return { kind: 'none' }
        }
        const restored = await restore(key)
        const savedAtMs = savedAtOfKey(keyPrefix, restored.matched)
        if (restored.text === undefined) {
          return {
            kind: 'lost',
            reason: `the newest Actions cache entry ${restored.matched} holds no ${STATE_FILE}`,
            ...(savedAtMs !== undefined ? { savedAtMs } : {}),
          }
        }
        log(`Restored the state from the Actions cache entry ${restored.matched}.`)
        return {
          kind: 'found',
          text: restored.text,
          origin: `Actions cache entry ${restored.matched}`,
          ...(savedAtMs !== undefined ? { savedAtMs } : {}),
        }
      })
    },

    async newerSave() {
      requireCacheService()
      return serialized(async () => {
        // The prefix as the primary key: this run's own key would match its own entry first.
        const key = await newest(keyPrefix)
        if (key === undefined || known.has(key)) return undefined
        const restored = await restore(key)
        if (restored.text === undefined) return undefined
        const savedAtMs = savedAtOfKey(keyPrefix, restored.matched)
        return {
          kind: 'found' as const,
          text: restored.text,
          origin: `Actions cache entry ${restored.matched}`,
          ...(savedAtMs !== undefined ? { savedAtMs } : {}),
        }
      })
    },

    async save(content) {
      requireCacheService()
      saves += 1
      const key = saves === 1 ? saveKey : `${saveKey}-${saves}`
      return serialized(async () => {
        await mkdir(directory, { recursive: true })
        await writeFile(file, content, 'utf8')
        let cacheId: number
        try {
          cacheId = await rootedIn(directory, () => cache.saveCache([STATE_FILE], key))
        } catch (error) {
          throw new Error(`The state was not saved to the Actions cache (key ${key}): ${errorMessage(error)}`)
        }
        if (!Number.isInteger(cacheId) || cacheId < 0) {
          throw new Error(
            `The state was not saved to the Actions cache (key ${key}): @actions/cache returned ${cacheId}; ` +
              'its own message above says why (the key already taken, a cache service error, a failed upload, ' +
              'or a read-only cache).',
          )
        }
        known.add(key)
        log(`Saved the state to the Actions cache as ${key} (cache id ${cacheId}).`)
      })
    },
  }
}

/**
 * `<run id>-<attempt>-<epoch ms>`: unique per run and attempt, and it says when the run started,
 * which is how far (at most) the state in an unusable entry had checked.
 */
export function runKeyFor(env: Record<string, string | undefined>, nowMs: number): string {
  return `${env.GITHUB_RUN_ID ?? 'local'}-${env.GITHUB_RUN_ATTEMPT ?? '1'}-${nowMs}`
}

/** When the run that saved `key` started (runKeyFor), epoch ms; undefined for a key of another shape. */
export function savedAtOfKey(keyPrefix: string, key: string): number | undefined {
  const match = /^[^-]+-[^-]+-(\d{10,})(?:-\d+)?$/.exec(key.slice(keyPrefix.length))
  return key.startsWith(keyPrefix) && match ? Number(match[1]) : undefined
}

function requireCacheService(): void {
  // @github/local-action's stand-in for @actions/cache has no isFeatureAvailable: a named import of it
  // would fail at load time there, so it is looked up on the namespace.
  if (typeof cache.isFeatureAvailable === 'function' && !cache.isFeatureAvailable()) {
    throw new Error(
      'The Actions cache is not available here (no ACTIONS_RESULTS_URL or ACTIONS_CACHE_URL: not a GitHub ' +
        'Actions runner, or one without the cache service). Use `state: file:<path>` on self-hosted runners ' +
        'and for local runs, or `state: none`.',
    )
  }
}

function keyProblem(keyPrefix: string, saveKey: string): string | undefined {
  if (keyPrefix === '') return 'the key prefix is empty'
  if (saveKey.includes(',')) return 'keys cannot contain commas'
  if (saveKey.length > MAX_KEY_LENGTH) return `keys are limited to ${MAX_KEY_LENGTH} characters`
  return undefined
}

let queue: Promise<unknown> = Promise.resolve()

/** One cache operation at a time: rootedIn() changes process-wide state for the duration of one. */
function serialized<T>(work: () => Promise<T>): Promise<T> {
  const run = queue.then(work)
  queue = run.catch(() => undefined)
  return run
}

/**
 * Runs a cache operation with the working directory and GITHUB_WORKSPACE both set to `directory`.
 *
 * The cache version is a hash of the `paths` strings exactly as given, and the archive stores each
 * file relative to GITHUB_WORKSPACE, extracted back relative to the GITHUB_WORKSPACE of the restoring
 * run. An absolute path under RUNNER_TEMP would change the version whenever RUNNER_TEMP differs
 * (another runner, another OS image), and a workspace-relative one would land elsewhere when RUNNER_TEMP
 * sits differently to the workspace. Rooting both in the state directory makes the path the bare
 * file name (the glob resolves relative patterns against the working directory): the same version
 * and the same place on every runner.
 */
async function rootedIn<T>(directory: string, work: () => Promise<T>): Promise<T> {
  const cwd = process.cwd()
  const workspace = process.env.GITHUB_WORKSPACE
  process.chdir(directory)
  process.env.GITHUB_WORKSPACE = directory
  try {
    return await work()
  } finally {
    process.chdir(cwd)
    if (workspace === undefined) delete process.env.GITHUB_WORKSPACE
    else process.env.GITHUB_WORKSPACE = workspace
  }
}
