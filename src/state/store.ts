/**
 * Where the checkpoint lives between runs. The backends (`actions-cache`, `file:<path>`, `none`) share
 * this one small interface; what is stored is opaque text to them (see checkpoint.ts for its shape).
 */
export interface StateStore {
  /** For log lines and the summary, e.g. `actions cache (insights-watch-api-errors-…)`. Never a secret. */
  readonly description: string
  /**
   * The newest saved state, or what the store can tell about its absence. Throws when the store could
   * not be read (a service error, a failed download, a file it may not read): that is never "nothing
   * saved", since a run that took it for one would save a fresh checkpoint over the old one.
   */
  load(): Promise<StoredState>
  /** Saves the state for the next run. Throws when it was not saved. */
  save(content: string): Promise<void>
  /**
   * The newest state another run saved after this one loaded (or last saved), read again just before
   * saving so that two runs on one state merge instead of the later one dropping the other's
   * fingerprints; undefined when there is none. Only stores without a lock have it.
   */
  newerSave?(): Promise<FoundState | undefined>
  /** Gives up what load() holds (a lock); safe to call more than once. */
  release?(): Promise<void>
}

/** Saved state, as text, and where it came from (an entry key, a file). */
interface FoundState {
  kind: 'found'
  text: string
  /** For log lines: the cache entry's key, the file. */
  origin: string
  /** When the store says it was saved, epoch ms, when it can tell. */
  savedAtMs?: number
}

export type StoredState =
  | FoundState
  /** Nothing saved here, and no sign that anything ever was: a first run. */
  | { kind: 'none' }
  /**
   * Nothing here, but the store can tell that earlier runs saved state (a state file's directory
   * without the file): the checkpoint was lost, not never made.
   */
  | { kind: 'lost'; reason: string; savedAtMs?: number }
