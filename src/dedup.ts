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

  /**
   * Filters a run's entries down to those not reported before, and remembers them. Entries without a
   * readable @timestamp are kept under `fallbackSecond` (the window's end), so they last one overlap.
   */
  *keepNew(entries: Iterable<Entry>, fallbackSecond: number): Generator<Entry> {
    const seenThisRun = new Map<string, number>()
    for (const entry of entries) {
      const base = fingerprint(entry)
      const occurrence = (seenThisRun.get(base) ?? 0) + 1
      seenThisRun.set(base, occurrence)
      const id = occurrence === 1 ? base : `${base}#${occurrence}`
      const timestamp = entrySecond(entry)
      if (timestamp === undefined ? this.anywhere(id) : this.bySecond.get(timestamp)?.has(id)) continue
      const second = timestamp ?? fallbackSecond
      let reported = this.bySecond.get(second)
      if (!reported) {
        reported = new Set()
        this.bySecond.set(second, reported)
      }
      reported.add(id)
      yield entry
    }
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
