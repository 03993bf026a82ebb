/**
 * Where the checkpoint lives between runs. The backends (`actions-cache`, `file:<path>`, `none`) share
 * this one small interface; what is stored is opaque text to them (see checkpoint.ts for its shape).
 */
export interface StateStore {
  /** For log lines and the summary, e.g. `actions cache (insights-watch-api-errors-…)`. Never a secret. */
  readonly description: string
  /** The newest saved state, or undefined when there is none yet. Throws when it cannot be read. */
  load(): Promise<string | undefined>
  /** Saves the state for the next run. Throws when it was not saved. */
  save(content: string): Promise<void>
}
