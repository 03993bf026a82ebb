import { type Entry, entrySecond, fingerprint } from './entries.js'

/** One second of log time: the ids reported in it, and how often this run has met each line in it. */
interface Second {
  ids: Set<string>
  seen: Map<string, number>
}

/**
 * The entries reported so far in the stretch that runs check twice (the overlap). An entry the
 * previous run reported is not new; the same line seen twice in one result counts twice, so
 * identical lines are told apart by their occurrence number (`<fingerprint>#2`, …).
 *
 * Kept by the second of the entry's timestamp: identical lines share their timestamp, so their
 * occurrences are counted within one second, and rows arrive sorted by time, so the second of the
 * row before is usually the one needed next.
 */
export class ReportedEntries {
  private readonly bySecond = new Map<number, Second>()
  /** Occurrences of lines without a readable @timestamp, which have no second of their own. */
  private readonly seenWithoutTime = new Map<string, number>()
  private last: { at: number; second: Second } | undefined

  constructor(previous: Record<string, string[]> = {}) {
    for (const [second, fingerprints] of Object.entries(previous)) {
      this.bySecond.set(Number(second), { ids: new Set(fingerprints), seen: new Map() })
    }
  }

  /**
   * True for an entry no earlier run reported; it is then remembered. Entries without a readable
   * @timestamp are kept under `fallbackSecond` (the window's end), so they last one overlap.
   */
  isNew(entry: Entry, fallbackSecond: number): boolean {
    const base = fingerprint(entry)
    const timestamp = entrySecond(entry)
    if (timestamp === undefined) {
      const id = occurrenceId(this.seenWithoutTime, base)
      // Without a timestamp an entry could sit under any second: look in all (only an overlap's worth).
      for (const { ids } of this.bySecond.values()) if (ids.has(id)) return false
      this.second(fallbackSecond).ids.add(id)
      return true
    }
    const second = this.second(timestamp)
    const id = occurrenceId(second.seen, base)
    if (second.ids.has(id)) return false
    second.ids.add(id)
    return true
  }

  /** The entries not reported before, remembering them (isNew over a list). */
  *keepNew(entries: Iterable<Entry>, fallbackSecond: number): Generator<Entry> {
    for (const entry of entries) if (this.isNew(entry, fallbackSecond)) yield entry
  }

  /** The fingerprints a run must keep: those at or after `from`, the next run's earliest second. */
  since(from: number): Record<string, string[]> {
    const kept: Record<string, string[]> = {}
    for (const [at, { ids }] of [...this.bySecond].sort(([a], [b]) => a - b)) {
      if (at >= from && ids.size > 0) kept[String(at)] = [...ids]
    }
    return kept
  }

  private second(at: number): Second {
    if (this.last?.at === at) return this.last.second
    let second = this.bySecond.get(at)
    if (!second) {
      second = { ids: new Set(), seen: new Map() }
      this.bySecond.set(at, second)
    }
    this.last = { at, second }
    return second
  }
}

/** `base` the first time it is met, then `base#2`, `base#3`, …: the nth identical line of its second. */
function occurrenceId(seen: Map<string, number>, base: string): string {
  const occurrence = (seen.get(base) ?? 0) + 1
  seen.set(base, occurrence)
  return occurrence === 1 ? base : `${base}#${occurrence}`
}
