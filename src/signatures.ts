import { type Entry, entrySecond, fieldValue } from './entries.js'

/**
 * Error signatures (`new-signatures`): what kind of error an entry is, made of the values of
 * `signature-fields` it has (`502 POST /v2/checkout`). A signature the monitor has not seen within
 * `signature-memory` is news of its own, the way Sentry's "new issue" or ElastAlert's new_term are:
 * the errors nobody has seen before are the ones people most need to hear about.
 */

/** Signatures remembered at most, across runs (the checkpoint) and within one window. */
export const MAX_SIGNATURES = 10_000
/** A signature's length at most: a hostile path must not make the seen set huge. */
const MAX_SIGNATURE_LENGTH = 200

/** Signature → when it was last seen (epoch seconds of the entry's @timestamp): the checkpoint's seen set. */
export type SeenSignatures = Record<string, number>

export interface SignatureSettings {
  /** The fields a signature is made of, in order; the ones an entry has. */
  fields: string[]
  /** A signature not seen for this long is new again. */
  memorySeconds: number
  /** A new signature with at least this many entries in a window alerts on its own. */
  threshold: number
}

/** One signature as this window met it. */
export interface WindowSignature {
  signature: string
  /** Entries with it in the window. */
  count: number
  /** Its earliest entry's @timestamp, epoch seconds. */
  firstSeen: number
  /** Its latest entry's @timestamp, epoch seconds. */
  lastSeen: number
}

/**
 * The signature of an entry: the values of `fields` it has, one line, separated by spaces; undefined
 * when it has none of them. API Gateway logs a missing value as `-`, which counts as absent.
 */
export function signatureOf(entry: Entry, fields: readonly string[]): string | undefined {
  const parts: string[] = []
  for (const field of fields) {
    const value = fieldValue(entry, field)?.replace(/\s+/g, ' ').trim()
    if (value === undefined || value === '' || value === '-') continue
    // An HTTP API's routeKey (`POST /v2/checkout`) already holds the method: said once.
    const previous = parts[parts.length - 1]
    if (previous !== undefined && value.startsWith(`${previous} `)) parts[parts.length - 1] = value
    else parts.push(value)
  }
  if (parts.length === 0) return undefined
  const signature = parts.join(' ')
  return signature.length > MAX_SIGNATURE_LENGTH
    ? `${signature.slice(0, MAX_SIGNATURE_LENGTH - 1)}…`
    : signature
}

/**
 * Each signature of the window's new entries, counted as the pages arrive. At most MAX_SIGNATURES
 * distinct ones are kept (the first met), so 100,000 entries of as many paths hold a bounded map;
 * entries of the others are counted in `untracked` (no seen set could keep them either).
 */
export class SignatureTally {
  private readonly bySignature = new Map<string, WindowSignature>()
  /** Entries whose signature was not kept, the map being full. */
  untracked = 0

  constructor(
    private readonly fields: readonly string[],
    /** Where an entry without a readable @timestamp is placed: the window's end. */
    private readonly fallbackSecond: number,
  ) {}

  add(entry: Entry): void {
    const signature = signatureOf(entry, this.fields)
    if (signature === undefined) return
    const second = entrySecond(entry) ?? this.fallbackSecond
    const known = this.bySignature.get(signature)
    if (known) {
      known.count += 1
      known.firstSeen = Math.min(known.firstSeen, second)
      known.lastSeen = Math.max(known.lastSeen, second)
    } else if (this.bySignature.size < MAX_SIGNATURES) {
      this.bySignature.set(signature, { signature, count: 1, firstSeen: second, lastSeen: second })
    } else {
      this.untracked += 1
    }
  }

  /** Every signature met, the most frequent first (then the earliest, then by text). */
  build(): WindowSignature[] {
    return [...this.bySignature.values()].sort(
      (a, b) => b.count - a.count || a.firstSeen - b.firstSeen || compareText(a.signature, b.signature),
    )
  }
}

/** What this run's signatures are against the seen set: the report's and the alert decision's view. */
export interface SignatureFindings {
  /** Signatures the seen set did not hold (or held from longer ago than `signature-memory`), most frequent first. */
  new: WindowSignature[]
  /** Distinct signatures in the window. */
  seen: number
  /** Entries whose signature could not be kept (over MAX_SIGNATURES distinct in one window). */
  untracked: number
  /**
   * The checkpoint held no seen set (new-signatures just turned on, or the state lost): this window's
   * signatures become the baseline and none is called new, or every one would be, at once.
   */
  baseline: boolean
}

/**
 * This window's signatures against the seen set. A signature is new when the set does not hold it, or
 * last saw it more than `memorySeconds` before this window's first entry of it.
 */
export function findNewSignatures(
  window: readonly WindowSignature[],
  seen: SeenSignatures | undefined,
  memorySeconds: number,
  untracked = 0,
): SignatureFindings {
  if (seen === undefined) return { new: [], seen: window.length, untracked, baseline: true }
  const found = window.filter((item) => {
    // Own keys only: a path of `constructor` is a signature like any other.
    const last = Object.hasOwn(seen, item.signature) ? seen[item.signature] : undefined
    return last === undefined || item.firstSeen - last > memorySeconds
  })
  return { new: found, seen: window.length, untracked, baseline: false }
}

/** New signatures with at least `threshold` entries in the window: each alerts on its own. */
export function alertingSignatures(
  findings: SignatureFindings | undefined,
  threshold: number,
): WindowSignature[] {
  return findings ? findings.new.filter((item) => item.count >= threshold) : []
}

/**
 * The seen set after a run: the previous one with every signature of this window at its last-seen
 * time, pruned and bounded (rememberedSignatures).
 */
export function rememberSignatures(
  previous: SeenSignatures | undefined,
  window: readonly WindowSignature[],
  nowSecond: number,
  memorySeconds: number,
): SeenSignatures {
  const next = new Map(Object.entries(previous ?? {}))
  for (const item of window) next.set(item.signature, Math.max(next.get(item.signature) ?? 0, item.lastSeen))
  return rememberedSignatures(next, nowSecond, memorySeconds)
}

/**
 * A seen set as the checkpoint keeps it: signatures last seen more than `memorySeconds` before
 * `nowSecond` dropped (they would be new again anyway), and at most MAX_SIGNATURES kept, the most
 * recently seen. What the bound costs: a signature pushed out while still within its memory is called
 * new again the next time it occurs (and can alert once more). At 10,000 that takes 10,000 other
 * distinct signatures seen more recently, within `signature-memory`.
 */
function rememberedSignatures(
  seen: ReadonlyMap<string, number>,
  nowSecond: number,
  memorySeconds: number,
): SeenSignatures {
  const kept = [...seen].filter(([, last]) => nowSecond - last <= memorySeconds)
  if (kept.length > MAX_SIGNATURES) {
    kept.sort(([a, lastA], [b, lastB]) => lastB - lastA || compareText(a, b))
    kept.length = MAX_SIGNATURES
  }
  // fromEntries defines each key as its own property: a signature `__proto__` stays a key.
  return Object.fromEntries(kept)
}

/**
 * Two runs' seen sets at once (merge.ts): every signature either saw, at the later time, bounded as
 * one run's would be. Not pruned by age here: the next run's save does that.
 */
export function mergeSeenSignatures(
  ours: SeenSignatures | undefined,
  theirs: SeenSignatures | undefined,
): SeenSignatures | undefined {
  if (!ours || !theirs) return ours ?? theirs
  const merged = new Map(Object.entries(theirs))
  for (const [signature, last] of Object.entries(ours))
    merged.set(signature, Math.max(merged.get(signature) ?? last, last))
  return rememberedSignatures(merged, 0, Number.POSITIVE_INFINITY)
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
