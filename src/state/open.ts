import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Settings } from '../settings.js'
import { createFileStore, createNullStore } from './file-store.js'
import type { StateStore } from './store.js'

/** What a run does besides its query while it holds a `file:` state's lock (Slack, with retries). */
const LOCK_MARGIN_MS = 2 * 60_000

/** The backend the `state` input names. */
export async function openStateStore(
  settings: Pick<Settings, 'state' | 'monitorName' | 'queryTimeoutMs' | 'ruleKey'>,
  env: Record<string, string | undefined>,
  now: () => number,
  log: (line: string) => void,
): Promise<StateStore> {
  switch (settings.state.kind) {
    case 'none':
      return createNullStore()
    case 'file':
      return createFileStore(settings.state.path, {
        // A run holds the lock for its query (at most query-timeout) and its Slack post: a wait past
        // that means the holder is stuck, and this run fails rather than piling up behind it.
        lockWaitMs: settings.queryTimeoutMs + LOCK_MARGIN_MS,
        lockStaleAfterMs: 2 * (settings.queryTimeoutMs + LOCK_MARGIN_MS),
        log,
      })
    case 'actions-cache': {
      // A rule's key carries its region too: a matrix of regions over one rules file keeps them apart.
      const key = settings.ruleKey ?? monitorKey(settings.monitorName)
      // Loaded only when used: @actions/cache and the Azure SDK it brings are most of the bundle.
      const { createActionsCacheStore, runKeyFor } = await import('./actions-cache.js')
      return createActionsCacheStore({
        keyPrefix: `insights-watch-${key}-`,
        // A new key every run: cache entries are immutable, and the newest is restored by prefix.
        runKey: runKeyFor(env, now()),
        // A directory per monitor: the rules of one step restore their entries side by side.
        directory: join(env.RUNNER_TEMP || tmpdir(), 'insights-watch-state', key),
        log,
      })
    }
  }
}

/**
 * `<monitor>-<hash>`, in the state's key (`insights-watch-<monitor>-<hash>-…`) and, for a rule, its
 * `file:` name: the cache is already scoped to the repository; the monitor name (slugged for reading,
 * hashed so `a b` and `a-b` differ) keeps two monitors in one repository apart.
 */
export function monitorKey(monitorName: string): string {
  const slug = monitorName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60)
  const hash = createHash('sha256').update(monitorName).digest('hex').slice(0, 8)
  return `${slug || 'monitor'}-${hash}`
}
