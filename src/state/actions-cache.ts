import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import * as cache from '@actions/cache'
import { errorMessage } from '../errors.js'
import type { StateStore } from './store.js'

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
 * load() → the newest saved state, or undefined when there is none. `@actions/cache` reports every
 * restore failure (service error, failed download, broken archive) only by logging "Failed to
 * restore: …" itself and answering "no entry", so such a failure also yields undefined: a fresh
 * start, with the library's own error/warning annotation saying why. It throws when the cache service
 * is not available here, when the library throws (invalid key), or when an entry was restored
 * without a readable state file in it.
 *
 * save() throws unless the library answered with a cache id: it logs most failures (key already
 * taken, service error, upload failure, read-only cache mode) and returns -1 instead of throwing.
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

  return {
    description: `actions cache (${keyPrefix}…)`,

    async load() {
      requireCacheService()
      return serialized(async () => {
        await mkdir(directory, { recursive: true })
        // A file left by an earlier step of this job must not pass for a restored one.
        await rm(file, { force: true })
        let matched: string | undefined
        try {
          // The primary key is this run's own key, which no entry has yet; the prefix finds the newest.
          matched = await rootedIn(directory, () => cache.restoreCache([STATE_FILE], saveKey, [keyPrefix]))
        } catch (error) {
          throw new Error(`Could not restore the state from the Actions cache: ${errorMessage(error)}`)
        }
        if (matched === undefined) {
          log(
            `No state restored from the Actions cache (keys ${keyPrefix}…): none saved yet, or the restore ` +
              'failed (then @actions/cache logged "Failed to restore" above).',
          )
          return undefined
        }
        let content: string
        try {
          content = await readFile(file, 'utf8')
        } catch (error) {
          throw new Error(
            `The Actions cache entry ${matched} was restored but ${STATE_FILE} could not be read from it: ${errorMessage(error)}`,
          )
        }
        log(`Restored the state from the Actions cache entry ${matched}.`)
        return content
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
        log(`Saved the state to the Actions cache as ${key} (cache id ${cacheId}).`)
      })
    },
  }
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
