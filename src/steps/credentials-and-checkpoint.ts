/** Step 1: AWS credentials and the previous run's checkpoint, side by side (credentials alone for a backtest). */
import { type CredentialProvider, resolveCredentials } from '../aws/credentials.js'
import type { StepDeps } from '../run-deps.js'
import type { Settings } from '../settings.js'
import type { StateRead } from '../state/load.js'
import type { StateSession } from '../state/session.js'

/** AWS credentials alone: a backtest neither reads nor writes the state. */
export function credentialsOnly(settings: Settings, deps: StepDeps): Promise<CredentialProvider> {
  return deps.runner.group('Credentials', () => credentialsOf(settings, deps))
}

function credentialsOf(settings: Settings, deps: StepDeps): Promise<CredentialProvider> {
  return resolveCredentials(settings, {
    env: deps.env,
    getIDToken: deps.runner.getIDToken,
    setSecret: deps.runner.setSecret,
    log: deps.runner.info,
    now: deps.now,
    ...(deps.proxyAgents ? { proxyAgents: deps.proxyAgents } : {}),
  })
}

/** What the run does without a readable state, said in the warning. */
const WITHOUT_STATE =
  'This run fails rather than start without it and save a new checkpoint over it; the next run tries again.'

export async function credentialsAndCheckpoint(
  settings: Settings,
  deps: StepDeps,
  session: StateSession,
): Promise<{ credentials: CredentialProvider; read: StateRead }> {
  return deps.runner.group('Credentials and checkpoint', async () => {
    const credentials = () => credentialsOf(settings, deps)
    // Both wait on the network (STS, the Actions cache) and neither needs the other, so they overlap,
    // except when the default chain (which may read files by relative path or run credential_process)
    // would meet the Actions-cache store while it has changed the working directory.
    if (!settings.roleToAssume && settings.state.kind === 'actions-cache') {
      const resolved = await credentials()
      return { credentials: resolved, read: await loadCheckpoint(session, deps) }
    }
    const [resolved, read] = await Promise.allSettled([credentials(), loadCheckpoint(session, deps)])
    // Settled both ways before either error is thrown, so a failed run finds the state in the session.
    if (resolved.status === 'rejected') throw resolved.reason
    if (read.status === 'rejected') throw read.reason
    return { credentials: resolved.value, read: read.value }
  })
}

/**
 * The state the previous run saved. A store that could not be read fails the run: taken for "no
 * checkpoint", the run would check only `interval` and save a fresh checkpoint over everything due
 * since the last one. The session then holds the error, so the failure path saves nothing either (a
 * failure record would, in the Actions cache, become the newest entry and hide the real checkpoint).
 */
export async function loadCheckpoint(session: StateSession, deps: StepDeps): Promise<StateRead> {
  const store = await session.open()
  deps.runner.info(`Checkpoint: ${store.description}.`)
  const read = await session.load(WITHOUT_STATE)
  if ('error' in read) throw new Error(`${read.error}. Nothing was checked and the state was left as it was.`)
  return read
}
