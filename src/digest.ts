import { type Entry, fieldValue, type Severity, worse } from './entries.js'

/** The rows of an aggregate query as the service returned them. */
export interface AggregateTable {
  /** Every column any row has, in the order first met. */
  columns: string[]
  /** One array per row, values by `columns` (undefined where the row has none); the first MAX_TABLE_ROWS. */
  rows: (string | undefined)[][]
  /** Rows the query returned (fetched), `rows` included. */
  rowCount: number
  /** The column whose values were added up into the count, when there was one. */
  countColumn?: string
  /** How the matching records were counted. */
  countedBy: 'count-column' | 'records-matched'
}

/** How often one value of a `group-by` field occurs among the entries. */
interface ValueCount {
  value: string
  count: number
}

/** Counts for one `group-by` field, most frequent value first. Fields no entry has are left out. */
export interface Breakdown {
  field: string
  counts: ValueCount[]
}

/** What a run found, reduced to what a person needs to read. */
export interface Digest {
  /** Every matched entry. */
  total: number
  /** Entries with a 5xx status. */
  critical: number
  /** Entries with a 4xx status. */
  warning: number
  /** The worst severity among the entries; `none` when there are none (or none has a status). */
  worst: Severity
  breakdowns: Breakdown[]
  /** Up to `max-samples` entries, the most severe first, then the newest. */
  samples: Entry[]
  /**
   * For an aggregate query: its rows, shown instead of breakdowns and samples; `total`, `critical`
   * and `warning` then count matching log records (aggregate.ts), not rows.
   */
  table?: AggregateTable
}

export interface DigestSettings {
  groupBy: readonly string[]
  maxSamples: number
}

/**
 * Counts, breaks down and samples entries one at a time, as the query's pages arrive, so that no
 * list of every entry is ever held.
 */
export class DigestBuilder {
  private readonly counts: Map<string, Map<string, number>>
  private readonly digest: Digest = {
    total: 0,
    critical: 0,
    warning: 0,
    worst: 'none',
    breakdowns: [],
    samples: [],
  }

  constructor(private readonly settings: DigestSettings) {
    this.counts = new Map(settings.groupBy.map((field) => [field, new Map()]))
  }

  add(entry: Entry): void {
    const { digest } = this
    digest.total += 1
    if (entry.severity === 'critical') digest.critical += 1
    if (entry.severity === 'warning') digest.warning += 1
    digest.worst = worse(digest.worst, entry.severity)
    for (const [field, byValue] of this.counts) {
      const value = fieldValue(entry, field)
      if (value !== undefined) byValue.set(value, (byValue.get(value) ?? 0) + 1)
    }
    keepSample(digest.samples, entry, this.settings.maxSamples)
  }

  build(): Digest {
    const breakdowns: Breakdown[] = []
    for (const [field, byValue] of this.counts) {
      if (byValue.size === 0) continue
      const sorted = [...byValue].map(([value, count]) => ({ value, count }))
      sorted.sort((a, b) => b.count - a.count || compareText(a.value, b.value))
      breakdowns.push({ field, counts: sorted })
    }
    return { ...this.digest, breakdowns, samples: [...this.digest.samples] }
  }
}

/** The digest of a list of entries (DigestBuilder in one call). */
export function buildDigest(entries: Iterable<Entry>, settings: DigestSettings): Digest {
  const builder = new DigestBuilder(settings)
  for (const entry of entries) builder.add(entry)
  return builder.build()
}

const sampleRank: Record<Severity, number> = { critical: 0, warning: 1, none: 2 }

function compareSamples(a: Entry, b: Entry): number {
  return (
    sampleRank[a.severity] - sampleRank[b.severity] ||
    compareText(b.fields['@timestamp'] ?? '', a.fields['@timestamp'] ?? '')
  )
}

/** Code-unit order: stable and fast on long values (localeCompare is slow on long shared prefixes). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Keeps the best `max` samples without holding every entry: insert in order, drop the last. */
function keepSample(samples: Entry[], entry: Entry, max: number): void {
  if (max <= 0) return
  if (samples.length === max && compareSamples(entry, samples[max - 1] as Entry) >= 0) return
  let index = samples.findIndex((kept) => compareSamples(entry, kept) < 0)
  if (index === -1) index = samples.length
  samples.splice(index, 0, entry)
  if (samples.length > max) samples.pop()
}
