import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createActionsCacheStore,
  runKeyFor,
  STATE_FILE,
  savedAtOfKey,
} from '../../../src/state/actions-cache.js'
import type { StateStore } from '../../../src/state/store.js'
import { type Emulator, startEmulator } from '../../emulator/index.js'
import {
  compressBackoff,
  type FakeClock,
  fakeClock,
  rejection,
  setProcessEnv,
} from '../../emulator/test-helpers.js'

const PREFIX = 'insights-watch-api-errors-1a2b3c4d-'

let emulator: Emulator
let clock: FakeClock
let root: string
let undoEnv: () => void
let undoRunner: (() => void) | undefined
let logLines: string[]

beforeEach(async () => {
  clock = fakeClock()
  emulator = await startEmulator({ now: clock.now })
  root = mkdtempSync(join(tmpdir(), 'insights-watch-state-'))
  undoEnv = setProcessEnv({ ...emulator.env, GITHUB_SERVER_URL: 'https://github.com' })
  logLines = []
})

afterEach(async () => {
  undoRunner?.()
  undoRunner = undefined
  undoEnv()
  await emulator.stop()
  rmSync(root, { recursive: true, force: true })
})

/**
 * One run of the action on its own runner: its own RUNNER_TEMP and workspace (both differ between
 * runs, as they do between runners), and the state directory under RUNNER_TEMP, as main.ts sets it.
 */
function run(name: string, runKey = name): StateStore {
  undoRunner?.()
  const temp = join(root, name, 'runner', '_temp')
  const workspace = join(root, name, 'work', 'api', 'api')
  mkdirSync(temp, { recursive: true })
  mkdirSync(workspace, { recursive: true })
  undoRunner = setProcessEnv({ RUNNER_TEMP: temp, GITHUB_WORKSPACE: workspace })
  clock.advance(60_000)
  return createActionsCacheStore({
    keyPrefix: PREFIX,
    runKey,
    directory: join(temp, 'insights-watch-state'),
    log: (line) => logLines.push(line),
  })
}

/** Runs `work` with the libraries' multi-second retry backoff compressed to 1 ms. */
async function fast<T>(work: () => Promise<T>): Promise<T> {
  const undo = compressBackoff()
  try {
    return await work()
  } finally {
    undo()
  }
}

function cacheCalls(action: string): number[] {
  return emulator.calls.filter((c) => c.service === 'cache' && c.action === action).map((c) => c.status)
}

describe('actions-cache state store, with the real @actions/cache against the emulator', () => {
  it('gives back what an earlier run saved', async () => {
    await run('run-1').save('{"checkpoint":1}')
    expect(emulator.cacheEntries().map((e) => e.key)).toEqual([`${PREFIX}run-1`])
    expect(await run('run-2').load()).toMatchObject({ kind: 'found', text: '{"checkpoint":1}' })
    expect(logLines).toContain(`Restored the state from the Actions cache entry ${PREFIX}run-1.`)
  })

  it('restores the newest of several saves', async () => {
    await run('run-1').save('first')
    await run('run-2').save('second')
    await run('run-3').save('third')
    expect(await run('run-4').load()).toMatchObject({ kind: 'found', text: 'third' })
    // Looked up by this run's own key first, then by the prefix; then that entry restored by its key.
    const lookups = emulator.calls.filter((c) => c.action === 'GetCacheEntryDownloadURL').slice(-2)
    expect(lookups.map((c) => c.body)).toMatchObject([
      { key: `${PREFIX}run-4`, restore_keys: [PREFIX] },
      { key: `${PREFIX}run-3` },
    ])
  })

  it('loads nothing when nothing was saved, and leaves no stale file behind', async () => {
    const first = run('run-1')
    const directory = join(root, 'run-1', 'runner', '_temp', 'insights-watch-state')
    mkdirSync(directory, { recursive: true })
    // A leftover from an earlier step must not pass for restored state.
    writeFileSync(join(directory, STATE_FILE), 'stale')
    expect(await first.load()).toEqual({ kind: 'none' })
    expect(readdirSync(directory)).toEqual([])
    expect(logLines.at(-1)).toMatch(/^No state in the Actions cache under .*found no entry/)
  })

  it('restores across runners whose RUNNER_TEMP and workspace differ (same cache version)', async () => {
    await run('hosted-linux').save('state from one runner')
    expect(await run('self-hosted-elsewhere').load()).toMatchObject({ text: 'state from one runner' })
    await run('self-hosted-elsewhere-2').save('state from another')
    const versions = new Set(emulator.cacheEntries().map((e) => e.version))
    expect(versions.size).toBe(1)
    expect(await run('third').load()).toMatchObject({ text: 'state from another' })
  })

  it('puts the working directory and GITHUB_WORKSPACE back after each call', async () => {
    const store = run('run-1')
    const cwd = process.cwd()
    const workspace = process.env.GITHUB_WORKSPACE
    await store.save('x')
    await store.load()
    emulator.inject({ service: 'cache', action: 'CreateCacheEntry', status: 200 }) // the service's own refusal
    await rejection(store.save('x'))
    expect([process.cwd(), process.env.GITHUB_WORKSPACE]).toEqual([cwd, workspace])
  })

  it('saves again in the same run under a key of its own, and the next run restores the newest', async () => {
    const store = run('run-1')
    await store.save('checkpoint')
    await store.save('checkpoint and the failure')
    expect(emulator.cacheEntries().map((e) => e.key)).toEqual([`${PREFIX}run-1`, `${PREFIX}run-1-2`])
    expect(await run('run-2').load()).toMatchObject({ text: 'checkpoint and the failure' })
  })

  it('serializes overlapping calls (each changes the working directory for its duration)', async () => {
    const one = run('run-1')
    const two = createActionsCacheStore({
      keyPrefix: PREFIX,
      runKey: 'run-1b',
      directory: join(root, 'run-1', 'runner', '_temp', 'other-state'),
      log: () => {},
    })
    await Promise.all([one.save('one'), two.save('two')])
    expect(emulator.cacheEntries().map((e) => e.key)).toEqual([`${PREFIX}run-1`, `${PREFIX}run-1b`])
  })
})

describe('actions-cache state store: failures', () => {
  it('save throws when CreateCacheEntry fails (500 on all 5 attempts), although the library only logs it', async () => {
    emulator.inject({ service: 'cache', action: 'CreateCacheEntry', status: 500, times: 5 })
    const error = await fast(() => rejection(run('run-1').save('x')))
    expect(error.message).toMatch(
      new RegExp(
        `^The state was not saved to the Actions cache \\(key ${PREFIX}run-1\\): @actions/cache returned -1`,
      ),
    )
    expect(cacheCalls('CreateCacheEntry')).toEqual([500, 500, 500, 500, 500])
  })

  it('save throws when FinalizeCacheEntryUpload fails', async () => {
    emulator.inject({ service: 'cache', action: 'FinalizeCacheEntryUpload', status: 500, times: 5 })
    const error = await fast(() => rejection(run('run-1').save('x')))
    expect(error.message).toMatch(/^The state was not saved to the Actions cache/)
    expect(emulator.cacheEntries()).toEqual([])
  })

  it('save throws when the blob upload fails (500 retried by the Azure SDK, then given up)', async () => {
    emulator.inject({ service: 'cache', action: 'PutBlob', status: 500, times: 4 })
    const error = await fast(() => rejection(run('run-1').save('x')))
    expect(error.message).toMatch(/^The state was not saved to the Actions cache/)
    expect(cacheCalls('PutBlob')).toEqual([500, 500, 500, 500])
    expect(cacheCalls('FinalizeCacheEntryUpload')).toEqual([])
  })

  it('save throws when the key is taken (entries are immutable)', async () => {
    await run('run-1').save('first')
    const error = await rejection(run('run-1').save('second'))
    expect(error.message).toMatch(/^The state was not saved/)
    expect(cacheCalls('CreateCacheEntry')).toEqual([200, 409])
  })

  it('a failed restore is not a miss: load throws, for a 503 lookup, a failed download and a dropped connection', async () => {
    await run('run-1').save('saved')
    // restoreCache alone answers undefined for each of these, exactly as for a miss.
    emulator.inject({ service: 'cache', action: 'GetCacheEntryDownloadURL', status: 503, times: 5 })
    const unavailable = await fast(() => rejection(run('run-2').load()))
    expect(unavailable.message).toMatch(
      /^Could not ask the Actions cache for the state .*503.*This is not "no checkpoint"/,
    )
    expect(cacheCalls('GetCacheEntryDownloadURL')).toEqual([503, 503, 503, 503, 503])
    emulator.inject({ service: 'cache', action: 'GetBlob', status: 500 })
    const download = await rejection(run('run-3').load())
    expect(download.message).toMatch(
      new RegExp(`^The Actions cache entry ${PREFIX}run-1 exists but could not be restored`),
    )
    emulator.inject({ service: 'cache', action: 'GetCacheEntryDownloadURL', dropConnection: true })
    expect((await rejection(run('run-4').load())).message).toMatch(/^Could not ask the Actions cache/)
    expect(await run('run-5').load()).toMatchObject({ kind: 'found', text: 'saved' })
  })

  it('dates an entry by the start time in its run key', () => {
    expect(savedAtOfKey(PREFIX, `${PREFIX}${runKeyFor({ GITHUB_RUN_ID: '4242' }, 1767225600000)}`)).toBe(
      1767225600000,
    )
    expect(savedAtOfKey(PREFIX, `${PREFIX}4242-1-1767225600000-2`)).toBe(1767225600000)
    expect(savedAtOfKey(PREFIX, `${PREFIX}run-1`)).toBeUndefined()
  })

  it('a miss is told by the service itself: none', async () => {
    expect(await run('run-1').load()).toEqual({ kind: 'none' })
    expect(cacheCalls('GetCacheEntryDownloadURL')).toEqual([200])
  })

  it('newerSave finds what another run saved after this one loaded, and nothing of its own', async () => {
    await run('run-0').save('zero')
    const mine = run('run-1')
    expect(await mine.load()).toMatchObject({ text: 'zero' })
    expect(await mine.newerSave?.()).toBeUndefined()
    const other = createActionsCacheStore({
      keyPrefix: PREFIX,
      runKey: 'run-2',
      directory: join(root, 'run-1', 'runner', '_temp', 'other-state'),
      log: () => {},
    })
    clock.advance(1000)
    await other.save('two')
    expect(await mine.newerSave?.()).toMatchObject({
      kind: 'found',
      text: 'two',
      origin: `Actions cache entry ${PREFIX}run-2`,
    })
    await mine.save('one, merged')
    expect(await mine.newerSave?.()).toBeUndefined()
  })

  it('says the Actions cache is not available off a runner, and points at state: file:', async () => {
    const store = run('local')
    const undo = setProcessEnv({ ACTIONS_RESULTS_URL: undefined, ACTIONS_CACHE_URL: undefined })
    try {
      for (const error of [await rejection(store.load()), await rejection(store.save('x'))]) {
        expect(error.message).toMatch(/^The Actions cache is not available here/)
        expect(error.message).toContain('state: file:<path>')
      }
    } finally {
      undo()
    }
    expect(emulator.calls).toEqual([])
  })

  it('refuses keys the cache would refuse, when it is created', () => {
    const options = { runKey: '1', directory: root, log: () => {} }
    expect(() => createActionsCacheStore({ ...options, keyPrefix: 'a,b-' })).toThrow(/commas/)
    expect(() => createActionsCacheStore({ ...options, keyPrefix: 'k'.repeat(512) })).toThrow(/512/)
    expect(() => createActionsCacheStore({ ...options, keyPrefix: '' })).toThrow(/empty/)
  })
})
