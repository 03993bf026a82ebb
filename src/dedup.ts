import { type Entry, entrySecond, fingerprint } from './entries.js'

/**
 * The entries reported so far in the stretch that runs check twice (the overlap). An entry the
 * previous run reported is not new; the same line seen twice in one result counts twice, so
 * identical lines are told apart by their occurrence number.
 */
export class ReportedEntries {
  private readonly bySecond = new Map<number, Set<string>>()

  constructor(previous: Record<string, string[]> = {}) {
    for (const [second, fingerprints] of Object.entries(previous)) {
      this.bySecond.set(Number(second), new Set(fingerprints))
    }
  }

  /** Occurrences of each fingerprint in this run so far, to tell identical lines apart. */
  private readonly seenThisRun = new Map<string, number>()

  /**
   * True for an entry no earlier run reported; it is then remembered. Entries without a readable
   * @timestamp are kept under `fallbackSecond` (the window's end), so they last one overlap.
   */
  isNew(entry: Entry, fallbackSecond: number): boolean {
    const base = fingerprint(entry)
    const occurrence = (this.seenThisRun.get(base) ?? 0) + 1
    this.seenThisRun.set(base, occurrence)
    const id = occurrence === 1 ? base : `${base}#${occurrence}`
    const timestamp = entrySecond(entry)
    if (timestamp === undefined ? this.anywhere(id) : this.bySecond.get(timestamp)?.has(id)) return false
    const second = timestamp ?? fallbackSecond
    let reported = this.bySecond.get(second)
    if (!reported) {
      reported = new Set()
      this.bySecond.set(second, reported)
    }
    reported.add(id)
    return true
  }

  /** The entries not reported before, remembering them (isNew over a list). */
  *keepNew(entries: Iterable<Entry>, fallbackSecond: number): Generator<Entry> {
    for (const entry of entries) if (this.isNew(entry, fallbackSecond)) yield entry
  }

  /** Without a timestamp an entry could sit under any second: look in all (only an overlap's worth). */
  private anywhere(id: string): boolean {
    for (const ids of this.bySecond.values()) if (ids.has(id)) return true
    return false
  }

  /** The fingerprints a run must keep: those at or after `from`, the next run's earliest second. */
  since(from: number): Record<string, string[]> {
    const kept: Record<string, string[]> = {}
    for (const [second, ids] of [...this.bySecond].sort(([a], [b]) => a - b)) {
      if (second >= from && ids.size > 0) kept[String(second)] = [...ids]
    }
    return kept
  }
}
