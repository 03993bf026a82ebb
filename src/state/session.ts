/**
 * The run's hold on its state, from the first read to the last save: the store `state` names, opened
 * once; what it held; and the newest state this run saved. The failure path takes the same session, so
 * a failed run is recorded on top of the newest state this run has, never on an older one, and a
 * `file:` state's lock is held from load to the last save (the failure record included).
 */
import { errorMessage } from '../errors.js'
import { isoSecond } from '../format.js'
import type { Runner } from '../runner.js'
import type { Settings } from '../settings.js'
import { type Checkpoint, parseCheckpoint, type SavedState, serializeCheckpoint } from './checkpoint.js'
import { loadState, type StateRead } from './load.js'
import { mergeCheckpoints } from './merge.js'
import { openStateStore } from './open.js'
import type { StateStore } from './store.js'

export interface SessionDeps {
  env: Record<string, string | undefined>
  now: () => number
  runner: Pick<Runner, 'info' | 'warning'>
}

/** A checkpoint save: the note says what happened, for the log and the job summary. */
export interface SavedCheckpoint {
  ok: boolean
  note: string
  checkpoint: Checkpoint
}

export class StateSession {
  #store: StateStore | undefined
  #read: StateRead | undefined

  constructor(
    private readonly settings: Pick<
      Settings,
      'state' | 'monitorName' | 'queryTimeoutMs' | 'overlapSeconds' | 'ruleKey'
    >,
    private readonly deps: SessionDeps,
  ) {}

  /** The store, opened on first use. An error opening it is thrown, and the next call tries again. */
  async open(): Promise<StateStore> {
    this.#store ??= await openStateStore(this.settings, this.deps.env, this.deps.now, this.deps.runner.info)
    return this.#store
  }

  /** What the store held when this run read it, or the newest state it saved since; undefined: not read yet. */
  get read(): StateRead | undefined {
    return this.#read
  }

  /**
   * Reads the store once (later calls answer the same). `unusable` says, in the warning, what the
   * run does without the state. A store that could not be read comes back as `error`, never thrown.
   */
  async load(unusable: string): Promise<StateRead> {
    const store = await this.open()
    this.#read ??= await loadState(store, unusable, this.deps.runner)
    return this.#read
  }

  /** Saves `state` as it is, and remembers it as the newest. Throws when it was not saved. */
  async save(state: SavedState): Promise<void> {
    const store = await this.open()
    await store.save(serializeCheckpoint(state))
    this.#read = { state }
  }

  /**
   * Saves the checkpoint; first, where the store has no lock (the Actions cache), merged with one that
   * another run saved meanwhile (two runs at once without a `concurrency` group), so that neither
   * run's fingerprints are lost and the checkpoint never goes back. Never throws: a save that failed
   * is a warning, and the note says what the next run will do.
   */
  async saveCheckpoint(checkpoint: Checkpoint): Promise<SavedCheckpoint> {
    const store = await this.open()
    const { toSave, merged } = await this.mergeWithNewerSave(store, checkpoint)
    try {
      await this.save(toSave)
      const note = `Checkpoint saved: checked up to ${isoSecond(toSave.checked)}.${merged}`
      this.deps.runner.info(note)
      return { ok: true, note, checkpoint: toSave }
    } catch (error) {
      const note = `Could not save the checkpoint to ${store.description}: ${errorMessage(error)}. The next run will check this stretch again, so some entries may be reported twice.`
      this.deps.runner.warning(note)
      return { ok: false, note, checkpoint }
    }
  }

  /** Gives up the store's lock, if it holds one; safe to call when nothing was opened. */
  async release(): Promise<void> {
    await this.#store?.release?.()
  }

  private async mergeWithNewerSave(
    store: StateStore,
    checkpoint: Checkpoint,
  ): Promise<{ toSave: Checkpoint; merged: string }> {
    if (!store.newerSave) return { toSave: checkpoint, merged: '' }
    try {
      const newer = await store.newerSave()
      const other = newer ? parseCheckpoint(newer.text).checkpoint : undefined
      if (!newer || !other || !('checked' in other)) return { toSave: checkpoint, merged: '' }
      const merged = ` Another run saved a checkpoint (${newer.origin}, checked up to ${isoSecond(other.checked)}) while this one ran: merged with it (reported entries of both, checked up to the later second). Two runs at once report the same entries; give the workflow a \`concurrency\` group.`
      this.deps.runner.warning(merged.trim(), { title: 'insights-watch: two runs at once' })
      return { toSave: mergeCheckpoints(checkpoint, other, this.settings.overlapSeconds), merged }
    } catch (error) {
      this.deps.runner.warning(
        `Could not look for a checkpoint saved by another run meanwhile: ${errorMessage(error)}. Saving this run's checkpoint as it is.`,
      )
      return { toSave: checkpoint, merged: '' }
    }
  }
}
