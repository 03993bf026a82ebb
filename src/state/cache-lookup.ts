/**
 * Which Actions cache entry a restore would find, asked of the cache service directly, so that "no
 * entry" and "the service failed" are told apart.
 *
 * Why not restoreCache alone: @actions/cache 6 (lib/cache.js, restoreCacheV2/V1) catches every
 * error but a ValidationError (a 5xx after its retries, a dropped connection, a read denied by
 * policy, a failed download, a broken archive), logs "Failed to restore: …" and answers undefined,
 * exactly as for a miss. A run that took that for a first run would save a fresh checkpoint over the
 * stretch since the last one and never report what is due there. The lookup it makes first is the
 * one call that knows the difference: GetCacheEntryDownloadURL answers `{ok: false}` for a miss (v2),
 * and the v1 `GET cache?keys=` answers 204; both throw on anything else. That is what lookupEntry
 * makes, through the library's own internal clients (the same retries, bearer token, service URL
 * and cache version as restoreCache), which the package's `exports` map does not expose, hence the
 * path into the package. Pinned by test/unit/state/actions-cache.test.ts against the emulator.
 */
import { getCacheEntry } from '../../node_modules/@actions/cache/lib/internal/cacheHttpClient.js'
import {
  getCacheVersion,
  getCompressionMethod,
} from '../../node_modules/@actions/cache/lib/internal/cacheUtils.js'
import {
  getCacheMode,
  getCacheServiceVersion,
  isCacheReadable,
} from '../../node_modules/@actions/cache/lib/internal/config.js'
import { internalCacheTwirpClient } from '../../node_modules/@actions/cache/lib/internal/shared/cacheTwirpClient.js'

/**
 * The key of the entry restoreCache(paths, key, [prefix]) would restore, or undefined when there is
 * none (of this cache version: the same paths and compression method). Throws when the service could
 * not answer (after the library's retries), with the library's message.
 */
export async function lookupEntry(paths: string[], key: string, prefix: string): Promise<string | undefined> {
  const mode = getCacheMode()
  // restoreCache skips the restore in these modes and answers "no entry": that is no answer at all.
  if (!isCacheReadable(mode)) {
    throw new Error(`the effective cache mode '${mode}' does not permit reading the Actions cache`)
  }
  // As restoreCache computes it (enableCrossOsArchive false, its default).
  const compressionMethod = await getCompressionMethod()
  if (getCacheServiceVersion() === 'v2') {
    const response = await internalCacheTwirpClient().GetCacheEntryDownloadURL({
      key,
      restoreKeys: [prefix],
      version: getCacheVersion(paths, compressionMethod, false),
    })
    return response.ok ? response.matchedKey : undefined
  }
  const entry = await getCacheEntry([key, prefix], paths, { compressionMethod, enableCrossOsArchive: false })
  return entry?.cacheKey ?? undefined
}
