import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Settings } from '../settings.js'
import { createFileStore, createNullStore } from './file-store.js'
import type { StateStore } from './store.js'

/** The backend the `state` input names. */
export async function openStateStore(
  settings: Pick<Settings, 'state' | 'monitorName'>,
  env: Record<string, string | undefined>,
  now: () => number,
  log: (line: string) => void,
): Promise<StateStore> {
  switch (settings.state.kind) {
    case 'none':
      return createNullStore()
    case 'file':
      return createFileStore(settings.state.path)
    case 'actions-cache': {
      // Loaded only when used: @actions/cache and the Azure SDK it brings are most of the bundle.
      const { createActionsCacheStore } = await import('./actions-cache.js')
      return createActionsCacheStore({
        keyPrefix: stateKeyPrefix(settings.monitorName),
        // A new key every run: cache entries are immutable, and the newest is restored by prefix.
        runKey: `${env.GITHUB_RUN_ID ?? 'local'}-${env.GITHUB_RUN_ATTEMPT ?? '1'}-${now()}`,
        directory: join(env.RUNNER_TEMP || tmpdir(), 'insights-watch-state'),
        log,
      })
    }
  }
}

/**
 * `insights-watch-<monitor>-<hash>-`: the cache is already scoped to the repository; the monitor name
 * (slugged for reading, hashed so `a b` and `a-b` differ) keeps two monitors in one repository apart.
 */
export function stateKeyPrefix(monitorName: string): string {
  const slug = monitorName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60)
  const hash = createHash('sha256').update(monitorName).digest('hex').slice(0, 8)
  return `insights-watch-${slug || 'monitor'}-${hash}-`
}
