import { errorMessage } from '../errors.js'
import { isoSecond } from '../format.js'
import type { Runner } from '../runner.js'
import { describeFailure, parseCheckpoint, type SavedState } from './checkpoint.js'
import type { StateStore } from './store.js'

/**
 * The newest state this run loaded or saved (undefined: none yet), or why the store could not be
 * read. `lost`: no usable state, though the store shows that earlier runs saved one.
 */
export type StateRead = { state?: SavedState; lost?: LostState } | { error: string }

interface LostState {
  /** What the store found instead of a usable checkpoint. */
  reason: string
  /** When the unusable state was saved, epoch seconds, when the store can tell. */
  savedAt?: number
}

/**
 * The state the previous run saved. Nothing is thrown: a store that could not be read, or a state
 * this version must not overwrite, comes back as `error` (the caller fails the run, and the failure
 * path must not save over it); an unusable one as `lost`, with a warning.
 */
export async function loadState(
  store: StateStore,
  unusable: string,
  log: Pick<Runner, 'info' | 'warning'>,
): Promise<StateRead> {
  let stored: Awaited<ReturnType<StateStore['load']>>
  try {
    stored = await store.load()
  } catch (error) {
    const reason = `Could not read the checkpoint from ${store.description}: ${errorMessage(error).replace(/\.+$/, '')}`
    log.warning(`${reason}. ${unusable}`)
    return { error: reason }
  }
  if (stored.kind === 'none') {
    log.info(`No checkpoint in ${store.description} yet.`)
    return {}
  }
  const savedAt = stored.savedAtMs !== undefined ? { savedAt: Math.floor(stored.savedAtMs / 1000) } : {}
  if (stored.kind === 'lost') return { lost: { reason: stored.reason, ...savedAt } }
  const loaded = parseCheckpoint(stored.text)
  if (!loaded.checkpoint) {
    const problem = loaded.problem ?? 'the saved state is empty'
    if (loaded.tooNew) {
      // Overwriting it would throw away what a newer version of the action recorded.
      const reason = `The checkpoint in ${store.description} cannot be used: ${problem}. Use that version of the action (or a newer one), or remove the state to start over`
      log.warning(`${reason}. ${unusable}`)
      return { error: reason }
    }
    log.warning(`Ignoring the checkpoint in ${store.description}: ${problem}.`)
    return { lost: { reason: `the checkpoint in ${stored.origin} is unusable (${problem})`, ...savedAt } }
  }
  const state = loaded.checkpoint
  if ('checked' in state)
    log.info(`Checked up to ${isoSecond(state.checked)} by the previous run (saved ${state.savedAt}).`)
  else log.info(`No checkpoint in ${store.description} yet.`)
  if (state.failure) log.info(`The monitor is failing: ${describeFailure(state.failure)}.`)
  return { state }
}
