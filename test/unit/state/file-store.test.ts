import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireFileLock } from '../../../src/state/file-lock.js'
import { createFileStore } from '../../../src/state/file-store.js'

let root: string
let lines: string[]
const options = () => ({
  lockWaitMs: 2_000,
  lockStaleAfterMs: 60_000,
  log: (line: string) => lines.push(line),
})

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'insights-watch-file-store-'))
  lines = []
})
afterEach(() => rmSync(root, { recursive: true, force: true }))

describe('file state: what load() can tell', () => {
  it('none when even the directory is missing, and leaves no directory behind when nothing was saved', async () => {
    const store = createFileStore(join(root, 'state', 'api.json'), options())
    expect(await store.load()).toEqual({ kind: 'none' })
    await store.release?.()
    expect(existsSync(join(root, 'state'))).toBe(false)
  })

  it('lost when the file is gone but the trace of earlier saves is not; none in a directory of other files', async () => {
    mkdirSync(join(root, 'state'))
    writeFileSync(join(root, 'state', 'other-monitor.json'), '{}')
    const path = join(root, 'state', 'api.json')
    const first = createFileStore(path, options())
    expect(await first.load()).toEqual({ kind: 'none' })
    await first.save('{}')
    await first.release?.()
    rmSync(path)
    const next = createFileStore(path, options())
    expect(await next.load()).toMatchObject({
      kind: 'lost',
      reason: expect.stringMatching(
        /api\.json is missing, though this monitor has saved state there since 20\d\d-/,
      ),
    })
    await next.release?.()
  })

  it('throws when the file cannot be read (not a miss)', async () => {
    mkdirSync(join(root, 'api.json')) // a directory where the file should be: EISDIR
    const store = createFileStore(join(root, 'api.json'), options())
    await expect(store.load()).rejects.toThrow(/EISDIR/)
    await store.release?.()
  })
})

describe('file state lock', () => {
  it('a second run waits for the first to release, then reads what it saved', async () => {
    const path = join(root, 'api.json')
    const first = createFileStore(path, options())
    const second = createFileStore(path, options())
    expect(await first.load()).toEqual({ kind: 'none' })
    const waiting = second.load()
    await new Promise((resolve) => setTimeout(resolve, 300))
    await first.save('{"from":"first"}')
    await first.release?.()
    expect(await waiting).toMatchObject({ kind: 'found', text: '{"from":"first"}' })
    expect(lines.join('\n')).toMatch(/Waiting for another run that holds the state lock .*api\.json\.lock/)
    await second.release?.()
    expect(existsSync(`${path}.lock`)).toBe(false)
  })

  it('breaks a lock whose process is gone, saying so', async () => {
    const lock = join(root, 'api.json.lock')
    // A pid far above any pid_max: no such process.
    writeFileSync(
      lock,
      JSON.stringify({ token: 't', pid: 2 ** 30, host: hostname(), since: '2026-11-23T10:00:00Z' }),
    )
    const store = createFileStore(join(root, 'api.json'), options())
    expect(await store.load()).toEqual({ kind: 'none' })
    expect(lines.join('\n')).toMatch(
      /Broke a stale state lock .*api\.json\.lock: its holder \(process 1073741824 on this machine/,
    )
    await store.release?.()
  })

  it('fails naming the lock file when the wait runs out', async () => {
    const lock = join(root, 'api.json.lock')
    const held = await acquireFileLock(lock, { waitMs: 0, staleAfterMs: 60_000, log: () => {} })
    const error = await acquireFileLock(lock, {
      waitMs: 300,
      pollMs: 50,
      staleAfterMs: 60_000,
      log: () => {},
    }).then(
      () => undefined,
      (e: Error) => e,
    )
    expect(error?.message).toMatch(
      new RegExp(
        `^Another run holds the state lock ${lock.replace(/[.]/g, '\\.')} \\(process ${process.pid} on `,
      ),
    )
    expect(error?.message).toContain('concurrency')
    await held.release()
  })
})
