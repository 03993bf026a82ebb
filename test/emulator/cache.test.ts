import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { restoreCache, saveCache } from '@actions/cache'
import { BlockBlobClient } from '@azure/storage-blob'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Emulator, startEmulator } from './index.js'
import { compressBackoff, type FakeClock, fakeClock, setProcessEnv } from './test-helpers.js'

const TWIRP = 'twirp/github.actions.results.api.v1.CacheService'

let emulator: Emulator
let clock: FakeClock
let workspace: string
let undoEnv: () => void

beforeEach(async () => {
  clock = fakeClock()
  emulator = await startEmulator({ now: clock.now })
  const root = mkdtempSync(join(tmpdir(), 'insights-watch-cache-'))
  workspace = join(root, 'workspace')
  mkdirSync(join(workspace, 'data'), { recursive: true })
  mkdirSync(join(root, 'temp'))
  undoEnv = setProcessEnv({
    ...emulator.env,
    RUNNER_TEMP: join(root, 'temp'),
    GITHUB_WORKSPACE: workspace,
    GITHUB_SERVER_URL: 'https://github.com',
  })
})

afterEach(async () => {
  undoEnv()
  await emulator.stop()
  rmSync(join(workspace, '..'), { recursive: true, force: true })
})

function writeData(text: string): void {
  writeFileSync(join(workspace, 'data', 'a.txt'), text)
}

function readData(): string {
  return readFileSync(join(workspace, 'data', 'a.txt'), 'utf8')
}

/** Saves `text` under `key` through the real library, with the clock one second on. */
async function save(key: string, text = key): Promise<number> {
  clock.advance(1000)
  writeData(text)
  return saveCache([join(workspace, 'data')], key)
}

function restore(primaryKey: string, restoreKeys: string[] = []): Promise<string | undefined> {
  return restoreCache([join(workspace, 'data')], primaryKey, restoreKeys)
}

function cacheCalls(): Array<[string, number]> {
  return emulator.calls.filter((c) => c.service === 'cache').map((c) => [c.action, c.status])
}

async function twirp(method: string, body: unknown, token = emulator.env.ACTIONS_RUNTIME_TOKEN) {
  const response = await fetch(`${emulator.env.ACTIONS_RESULTS_URL}${TWIRP}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe('Actions cache service v2, through the real @actions/cache', () => {
  it('saves (reserve, single-shot blob upload, finalize) and restores (download URL, blob GET)', async () => {
    const id = await save('state-1', 'hello cache')
    expect(id).toBeGreaterThan(0)
    expect(cacheCalls()).toEqual([
      ['CreateCacheEntry', 200],
      ['PutBlob', 201],
      ['FinalizeCacheEntryUpload', 200],
    ])
    const [entry] = emulator.cacheEntries()
    expect(entry).toMatchObject({ key: 'state-1', createdAt: clock.now() })
    expect(entry?.version).toMatch(/^[0-9a-f]{64}$/)
    expect(entry?.size).toBeGreaterThan(0)

    writeData('overwritten')
    expect(await restore('state-1')).toBe('state-1')
    expect(readData()).toBe('hello cache')
    expect(cacheCalls().slice(3)).toEqual([
      ['GetCacheEntryDownloadURL', 200],
      ['GetBlob', 200],
    ])
  })

  it('refuses an existing key (409 already_exists); saveCache only logs it and returns -1', async () => {
    expect(await save('state-1')).toBeGreaterThan(0)
    expect(await save('state-1', 'other content')).toBe(-1)
    const refused = emulator.calls.filter((c) => c.action === 'CreateCacheEntry')[1]
    expect(refused?.status).toBe(409)
    expect(refused?.response).toEqual({
      code: 'already_exists',
      msg: 'cache entry with the same key, version, and scope already exists',
    })
    expect(emulator.cacheEntries()).toHaveLength(1)
  })

  it('matches the exact key, then the key as a prefix, then each restore key in order; newest prefix match wins', async () => {
    for (const key of ['app-a-1', 'app-b-1', 'app-a-2', 'other-1']) await save(key)
    expect(await restore('app-a-1')).toBe('app-a-1')
    expect(await restore('app-a-')).toBe('app-a-2')
    expect(await restore('app-a-3', ['app-b-', 'app-'])).toBe('app-b-1')
    expect(readData()).toBe('app-b-1')
    expect(await restore('app-a-3', ['app-'])).toBe('app-a-2')
    expect(await restore('none', ['nothing-'])).toBeUndefined()
  })

  it('restores only an entry of the same version (the same paths)', async () => {
    await save('state-1')
    expect(await restoreCache([join(workspace, 'data'), join(workspace, 'more')], 'state-1')).toBeUndefined()
    expect(emulator.calls.at(-1)?.response).toEqual({ ok: false, signed_download_url: '', matched_key: '' })
  })

  it('stages blocks and commits a block list (large archives), and serves Range reads', async () => {
    const created = await twirp('CreateCacheEntry', { key: 'big', version: 'v1' })
    const uploadUrl = String(created.body.signed_upload_url)
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251))
    await new BlockBlobClient(uploadUrl).uploadData(data, { blockSize: 1024, maxSingleShotSize: 1024 })
    expect(cacheCalls().filter(([a]) => a === 'PutBlock')).toHaveLength(5)
    expect(cacheCalls().at(-1)).toEqual(['PutBlockList', 201])
    expect(
      (await twirp('FinalizeCacheEntryUpload', { key: 'big', version: 'v1', size_bytes: '5000' })).body,
    ).toEqual({
      ok: true,
      entry_id: '1',
    })

    const found = await twirp('GetCacheEntryDownloadURL', { key: 'big', version: 'v1' })
    const downloadUrl = String(found.body.signed_download_url)
    const whole = await fetch(downloadUrl)
    expect(Buffer.from(await whole.arrayBuffer()).equals(data)).toBe(true)
    const part = await fetch(downloadUrl, { headers: { range: 'bytes=1000-1999' } })
    expect(part.status).toBe(206)
    expect(part.headers.get('content-range')).toBe('bytes 1000-1999/5000')
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(1000, 2000))).toBe(true)
    const head = await fetch(downloadUrl, { method: 'HEAD' })
    expect([head.status, head.headers.get('content-length')]).toEqual([200, '5000'])
  })
})

describe('Actions cache service: what it refuses', () => {
  it('wants ACTIONS_RUNTIME_TOKEN as the bearer', async () => {
    const refused = await twirp('CreateCacheEntry', { key: 'k', version: 'v' }, 'not-the-token')
    expect(refused).toMatchObject({ status: 401, body: { code: 'unauthenticated' } })
  })

  it('refuses keys over 512 characters, other content types and unknown methods', async () => {
    expect(await twirp('CreateCacheEntry', { key: 'k'.repeat(513), version: 'v' })).toMatchObject({
      status: 400,
      body: { code: 'invalid_argument' },
    })
    expect(await twirp('DeleteCacheEntry', { key: 'k' })).toMatchObject({
      status: 404,
      body: { code: 'bad_route' },
    })
    const protobuf = await fetch(`${emulator.env.ACTIONS_RESULTS_URL}${TWIRP}/CreateCacheEntry`, {
      method: 'POST',
      headers: {
        'content-type': 'application/protobuf',
        authorization: `Bearer ${emulator.env.ACTIONS_RUNTIME_TOKEN}`,
      },
      body: '',
    })
    expect(protobuf.status).toBe(404)
  })

  it('checks the blob signature and permission; entries are immutable once finalized', async () => {
    const uploadUrl = String(
      (await twirp('CreateCacheEntry', { key: 'k', version: 'v' })).body.signed_upload_url,
    )
    const put = (url: string, headers: Record<string, string> = { 'x-ms-blob-type': 'BlockBlob' }) =>
      fetch(url, { method: 'PUT', headers, body: 'archive' })
    const errorCode = (response: Response) => response.headers.get('x-ms-error-code')

    expect(errorCode(await put(uploadUrl.replace(/sig=[^&]+/, 'sig=forged')))).toBe('AuthenticationFailed')
    expect(errorCode(await put(uploadUrl.replace('sp=cw', 'sp=r')))).toBe('AuthenticationFailed')
    expect(errorCode(await fetch(uploadUrl))).toBe('AuthorizationPermissionMismatch')
    expect(errorCode(await put(uploadUrl, {}))).toBe('MissingRequiredHeader')
    expect(
      (await twirp('FinalizeCacheEntryUpload', { key: 'k', version: 'v', size_bytes: '7' })).body,
    ).toMatchObject({
      code: 'failed_precondition',
    })
    expect((await put(uploadUrl)).status).toBe(201)
    expect(
      (await twirp('FinalizeCacheEntryUpload', { key: 'k', version: 'v', size_bytes: '8' })).body,
    ).toMatchObject({
      code: 'invalid_argument',
    })
    expect(
      (await twirp('FinalizeCacheEntryUpload', { key: 'k', version: 'v', size_bytes: '7' })).body.ok,
    ).toBe(true)
    expect((await put(uploadUrl)).status).toBe(403)

    const downloadUrl = String(
      (await twirp('GetCacheEntryDownloadURL', { key: 'k', version: 'v' })).body.signed_download_url,
    )
    expect(errorCode(await put(downloadUrl))).toBe('AuthorizationPermissionMismatch')
    expect(await (await fetch(downloadUrl)).text()).toBe('archive')
  })
})

describe('Actions cache faults, as @actions/cache sees them', () => {
  it('CreateCacheEntry 500 is retried (5 attempts), then saveCache returns -1', async () => {
    emulator.inject({ service: 'cache', action: 'CreateCacheEntry', status: 500, times: 5 })
    const undo = compressBackoff()
    try {
      expect(await save('state-1')).toBe(-1)
    } finally {
      undo()
    }
    expect(cacheCalls()).toEqual(Array(5).fill(['CreateCacheEntry', 500]))
    expect(emulator.calls[0]?.response).toEqual({ code: 'internal', msg: 'internal (injected)' })
  })

  it('a 200 fault is the service saying ok: false (FinalizeCacheEntryUpload → -1)', async () => {
    emulator.inject({ service: 'cache', action: 'FinalizeCacheEntryUpload', status: 200, body: 'not today' })
    expect(await save('state-1')).toBe(-1)
    expect(emulator.calls.at(-1)?.response).toEqual({ ok: false, message: 'not today' })
    expect(emulator.cacheEntries()).toEqual([])
  })

  it('a refused blob upload (Azure XML error, not retried when 4xx) makes saveCache return -1', async () => {
    emulator.inject({ service: 'cache', action: 'PutBlob', status: 403 })
    expect(await save('state-1')).toBe(-1)
    expect(cacheCalls()).toEqual([
      ['CreateCacheEntry', 200],
      ['PutBlob', 403],
    ])
    expect(emulator.calls.at(-1)?.response).toEqual({
      code: 'AuthenticationFailed',
      message: 'AuthenticationFailed (injected)',
    })
  })

  it('a dropped download-URL call or a failed blob GET reads as a miss: restoreCache returns undefined', async () => {
    await save('state-1')
    emulator.inject({ service: 'cache', action: 'GetCacheEntryDownloadURL', dropConnection: true })
    expect(await restore('state-1')).toBeUndefined()
    emulator.inject({ service: 'cache', action: 'GetBlob', status: 500 })
    expect(await restore('state-1')).toBeUndefined()
    expect(cacheCalls().slice(3)).toEqual([
      ['GetCacheEntryDownloadURL', 0],
      ['GetCacheEntryDownloadURL', 200],
      ['GetBlob', 500],
    ])
    expect(await restore('state-1')).toBe('state-1')
  })
})
