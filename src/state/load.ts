import * as core from '@actions/core'
import { errorMessage } from '../errors.js'
import { isoSecond } from '../insights/window.js'
import { describeFailure, parseCheckpoint, type SavedState } from './checkpoint.js'
import type { StateStore } from './store.js'

/** The newest state this run loaded or saved (undefined: none yet), or why the store could not be read. */
export type StateRead = { state?: SavedState } | { error: string }

/**
 * The state the previous run saved; trouble reading it is a warning saying what that means here
 * (`unusable`), never a crash.
 */
export async function loadState(store: StateStore, unusable: string): Promise<StateRead> {
  let text: string | undefined
  try {
    text = await store.load()
  } catch (error) {
    const reason = errorMessage(error)
    core.warning(`Could not read the checkpoint from ${store.description}: ${reason}. ${unusable}`)
    return { error: reason }
  }
  const loaded = parseCheckpoint(text)
  if (!loaded.checkpoint) {
    if (loaded.problem)
      core.warning(`Ignoring the checkpoint in ${store.description}: ${loaded.problem}. ${unusable}`)
    else core.info(`No checkpoint in ${store.description} yet.`)
    return {}
  }
  const state = loaded.checkpoint
  if ('checked' in state)
    core.info(`Checked up to ${isoSecond(state.checked)} by the previous run (saved ${state.savedAt}).`)
  else core.info(`No checkpoint in ${store.description} yet.`)
  if (state.failure) core.info(`The monitor is failing: ${describeFailure(state.failure)}.`)
  return { state }
}
