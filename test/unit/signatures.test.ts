import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  alertingSignatures,
  findNewSignatures,
  MAX_SIGNATURES,
  mergeSeenSignatures,
  rememberSignatures,
  type SeenSignatures,
  SignatureTally,
  signatureOf,
  type WindowSignature,
} from '../../src/signatures.js'
import { type Checkpoint, parseCheckpoint, serializeCheckpoint } from '../../src/state/checkpoint.js'
import { mergeCheckpoints } from '../../src/state/merge.js'
import { accessLog, plainLog } from './notify/fixtures.js'

const FIELDS = ['status', 'httpMethod', 'resourcePath', 'routeKey']
const DAY = 86_400
const WEEK = 7 * DAY
/** 2026-11-23 10:00:00Z. */
const T = Date.UTC(2026, 10, 23, 10, 0, 0) / 1000

const seen = (
  signature: string,
  count: number,
  firstSeen: number,
  lastSeen = firstSeen,
): WindowSignature => ({
  signature,
  count,
  firstSeen,
  lastSeen,
})

describe('signatureOf', () => {
  it('is the values of the signature fields the entry has, in order', () => {
    const entry = accessLog({
      status: '502',
      httpMethod: 'POST',
      resourcePath: '/v2/checkout',
      requestId: 'r1',
    })
    expect(signatureOf(entry, FIELDS)).toBe('502 POST /v2/checkout')
  })

  it("says an HTTP API's routeKey once, which already holds the method", () => {
    const entry = accessLog({ status: '500', httpMethod: 'GET', routeKey: 'GET /items/{id}' })
    expect(signatureOf(entry, FIELDS)).toBe('500 GET /items/{id}')
  })

  it('skips absent fields and API Gateway dashes; none of them: no signature', () => {
    expect(signatureOf(accessLog({ status: '404', httpMethod: '-', resourcePath: '/x' }), FIELDS)).toBe(
      '404 /x',
    )
    expect(signatureOf(plainLog('Task timed out after 3.00 seconds'), FIELDS)).toBeUndefined()
  })

  it('is one line and bounded, however long or broken the log text', () => {
    const entry = accessLog({ status: '500', resourcePath: `/a\n\nb/${'x'.repeat(5000)}` })
    const signature = signatureOf(entry, FIELDS) as string
    expect(signature.startsWith('500 /a b/xx')).toBe(true)
    expect(signature.length).toBe(200)
    expect(signature.endsWith('…')).toBe(true)
  })
})

describe('SignatureTally', () => {
  it('counts each signature with its first and last @timestamp', () => {
    const tally = new SignatureTally(FIELDS, T + 300)
    const at = (s: string) => `2026-11-23 10:0${s}.000`
    tally.add(accessLog({ status: '502', httpMethod: 'POST', resourcePath: '/v2/checkout' }, at('4:00')))
    tally.add(accessLog({ status: '502', httpMethod: 'POST', resourcePath: '/v2/checkout' }, at('1:30')))
    tally.add(accessLog({ status: '502', httpMethod: 'POST', resourcePath: '/v2/checkout' }, at('2:00')))
    tally.add(accessLog({ status: '404', httpMethod: 'GET', resourcePath: '/favicon.ico' }, at('3:00')))
    tally.add(plainLog('no fields'))
    expect(tally.build()).toEqual([
      seen('502 POST /v2/checkout', 3, T + 90, T + 240),
      seen('404 GET /favicon.ico', 1, T + 180),
    ])
  })

  it('keeps at most 10,000 signatures of 100,000 entries, the rest counted as untracked', () => {
    const tally = new SignatureTally(['path'], T)
    const entry = { fields: { path: '', '@timestamp': '2026-11-23 10:00:00.000' }, severity: 'none' as const }
    for (let i = 0; i < 100_000; i += 1) {
      entry.fields.path = `/p/${i % 20_000}`
      tally.add(entry)
    }
    const found = tally.build()
    expect(found).toHaveLength(MAX_SIGNATURES)
    expect(found.every((item) => item.count === 5)).toBe(true)
    expect(tally.untracked).toBe(50_000)
  })
})

describe('new against the seen set', () => {
  const memory = WEEK

  it('a signature the set does not hold is new; one it holds is not', () => {
    const window = [seen('502 POST /v2/checkout', 17, T), seen('404 GET /favicon.ico', 3, T)]
    const findings = findNewSignatures(window, { '404 GET /favicon.ico': T - DAY }, memory)
    expect(findings.new.map((item) => item.signature)).toEqual(['502 POST /v2/checkout'])
    expect(findings).toMatchObject({ seen: 2, baseline: false })
  })

  it('one last seen longer ago than the memory is new again; one just within it is not', () => {
    const window = [seen('a', 1, T), seen('b', 1, T)]
    const findings = findNewSignatures(window, { a: T - memory - 1, b: T - memory }, memory)
    expect(findings.new.map((item) => item.signature)).toEqual(['a'])
  })

  it('with no seen set at all (just turned on, or the state lost), the window is the baseline: none is new', () => {
    const findings = findNewSignatures([seen('a', 50, T)], undefined, memory)
    expect(findings).toEqual({ new: [], seen: 1, untracked: 0, baseline: true })
    expect(findings.new).toHaveLength(0)
  })

  it('a signature named like an object property is a signature like any other', () => {
    const window = [seen('constructor', 3, T), seen('__proto__', 3, T)]
    expect(findNewSignatures(window, {}, memory).new).toHaveLength(2)
    const remembered = rememberSignatures({}, window, T, memory)
    expect(Object.keys(remembered).sort()).toEqual(['__proto__', 'constructor'])
    expect(findNewSignatures(window, remembered, memory).new).toHaveLength(0)
  })

  it('alerts for the new ones with at least the threshold of entries', () => {
    const findings = findNewSignatures([seen('a', 3, T), seen('b', 2, T), seen('c', 9, T)], { c: T }, memory)
    expect(alertingSignatures(findings, 3).map((item) => item.signature)).toEqual(['a'])
    expect(alertingSignatures(undefined, 3)).toEqual([])
  })
})

describe('the seen set after a run', () => {
  it('holds every signature of the window at its last-seen time, and forgets what the memory let go', () => {
    const previous: SeenSignatures = { old: T - WEEK - 1, kept: T - DAY, again: T - 2 * DAY }
    const next = rememberSignatures(
      previous,
      [seen('again', 2, T + 10, T + 50), seen('fresh', 1, T + 20)],
      T + 60,
      WEEK,
    )
    expect(next).toEqual({ kept: T - DAY, again: T + 50, fresh: T + 20 })
  })

  it('never moves a last-seen time back (a late entry of an older second)', () => {
    expect(rememberSignatures({ a: T }, [seen('a', 1, T - 100)], T, WEEK)).toEqual({ a: T })
  })

  it('keeps at most 10,000, the most recently seen; a signature pushed out is new again when it returns', () => {
    const previous: SeenSignatures = {}
    for (let i = 0; i < MAX_SIGNATURES; i += 1) previous[`sig-${i}`] = T - DAY + i
    const next = rememberSignatures(previous, [seen('newest', 1, T)], T, WEEK)
    expect(Object.keys(next)).toHaveLength(MAX_SIGNATURES)
    expect(next.newest).toBe(T)
    // The least recently seen went first.
    expect(next['sig-0']).toBeUndefined()
    expect(next['sig-1']).toBe(T - DAY + 1)
    expect(findNewSignatures([seen('sig-0', 1, T + 1)], next, WEEK).new).toHaveLength(1)
  })

  it('merges two runs: every signature either saw, at the later time, bounded', () => {
    expect(mergeSeenSignatures({ a: T, b: T - 5 }, { b: T, c: T - 1 })).toEqual({ a: T, b: T, c: T - 1 })
    expect(mergeSeenSignatures(undefined, { c: T })).toEqual({ c: T })
    const ours: SeenSignatures = {}
    const theirs: SeenSignatures = {}
    for (let i = 0; i < MAX_SIGNATURES; i += 1) {
      ours[`o-${i}`] = T + i
      theirs[`t-${i}`] = T + MAX_SIGNATURES + i
    }
    const merged = mergeSeenSignatures(ours, theirs) as SeenSignatures
    expect(Object.keys(merged)).toHaveLength(MAX_SIGNATURES)
    expect(merged[`t-${MAX_SIGNATURES - 1}`]).toBeDefined()
    expect(merged['o-0']).toBeUndefined()
  })
})

describe('the seen set in the checkpoint', () => {
  const checkpoint = (signatures?: SeenSignatures): Checkpoint => ({
    version: 1,
    checked: T,
    reported: {},
    savedAt: '2026-11-23T10:00:00.000Z',
    ...(signatures ? { signatures } : {}),
  })

  it('is read back as it was saved; a malformed one is refused, never taken for none', () => {
    const saved = checkpoint({ '502 POST /v2/checkout': T, __proto__x: T - 1 })
    expect(parseCheckpoint(serializeCheckpoint(saved)).checkpoint).toEqual(saved)
    const bad = JSON.stringify({ ...checkpoint(), signatures: { a: 'yesterday' } })
    expect(parseCheckpoint(bad)).toMatchObject({
      problem: 'the saved state has a malformed record of error signatures',
    })
    // A state saved before new-signatures loads without one.
    expect(parseCheckpoint(serializeCheckpoint(checkpoint())).checkpoint).not.toHaveProperty('signatures')
  })

  it('two runs at once (mergeCheckpoints): both runs’ signatures are kept', () => {
    const merged = mergeCheckpoints(checkpoint({ a: T, b: T - 9 }), checkpoint({ b: T - 3, c: T }), 120)
    expect(merged.signatures).toEqual({ a: T, b: T - 3, c: T })
    expect(mergeCheckpoints(checkpoint(), checkpoint({ c: T }), 120).signatures).toEqual({ c: T })
  })

  it('10,000 signatures fit well within a state file or Actions cache entry', () => {
    const signatures: SeenSignatures = {}
    const methods = ['GET', 'POST', 'PUT', 'DELETE']
    for (let i = 0; i < MAX_SIGNATURES; i += 1) {
      // Realistic API Gateway signatures: status, method, a templated path of a large API.
      signatures[
        `5${String(i % 4).padStart(2, '0')} ${methods[i % 4]} /v2/service-${i % 97}/resources/{id}/items-${i}`
      ] = T - (i % WEEK)
    }
    const text = serializeCheckpoint(checkpoint(signatures))
    const bytes = Buffer.byteLength(text, 'utf8')
    const gzipped = gzipSync(text).length
    console.log(`10,000 signatures: ${bytes} bytes of checkpoint JSON (${gzipped} bytes gzipped)`)
    // The cache stores the file as one tar/zstd entry among the repository's 10 GB; the file state
    // is one write per run. Under 1 MB keeps every save and restore at a fraction of a second.
    expect(bytes).toBeLessThan(1_000_000)
    expect(parseCheckpoint(text).checkpoint).toEqual(checkpoint(signatures))
  })
})
