import { describe, expect, it } from 'vitest'
import { entrySecond, fieldValue, fingerprint, toEntry } from '../../src/entries.js'

const row = (fields: Record<string, string>) =>
  Object.entries(fields).map(([field, value]) => ({ field, value }))

describe('toEntry', () => {
  it('reads severity from a JSON status string in @message, as API Gateway logs it', () => {
    const entry = toEntry(row({ '@message': '{"status":"502","httpMethod":"GET"}' }), 'status')
    expect(entry.status).toBe(502)
    expect(entry.severity).toBe('critical')
    expect(toEntry(row({ '@message': '{"status":404}' }), 'status').severity).toBe('warning')
    expect(toEntry(row({ '@message': '{"status":"200"}' }), 'status').severity).toBe('none')
  })

  it('prefers a field the query returned over the JSON in @message', () => {
    const entry = toEntry(row({ status: '503', '@message': '{"status":"200"}' }), 'status')
    expect(entry.severity).toBe('critical')
  })

  it('finds dotted fields inside nested JSON and uses a custom status field', () => {
    const entry = toEntry(
      row({ '@message': '{"response":{"code":"429"},"request":{"path":"/a"}}' }),
      'response.code',
    )
    expect(entry.status).toBe(429)
    expect(fieldValue(entry, 'request.path')).toBe('/a')
  })

  it('keeps non-JSON and JSON-looking-but-broken messages as text, without a status', () => {
    for (const message of ['GET /x 500', '{"status":"500"', '["status", 500]', '{"status":"5xx"}']) {
      const entry = toEntry(row({ '@message': message }), 'status')
      expect(entry.json === undefined || entry.status === undefined).toBe(true)
      expect(entry.severity).toBe('none')
      expect(entry.fields['@message']).toBe(message)
    }
  })

  it('never evaluates log text', () => {
    const message = '{"status":"500","__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'
    const entry = toEntry(row({ '@message': message }), 'status')
    expect(entry.severity).toBe('critical')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('fieldValue', () => {
  it('never answers with what every object inherits', () => {
    const entry = toEntry(row({ '@message': '{"status":"500"}' }), 'status')
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'toString.name']) {
      expect(fieldValue(entry, name)).toBeUndefined()
    }
  })

  it('treats a JSON null as absent and shows a nested object as JSON text', () => {
    const entry = toEntry(row({ '@message': '{"error":null,"request":{"path":"/a","id":7}}' }), 'status')
    expect(fieldValue(entry, 'error')).toBeUndefined()
    expect(fieldValue(entry, 'request')).toBe('{"path":"/a","id":7}')
    expect(fieldValue(entry, 'request.id')).toBe('7')
  })
})

describe('fingerprint', () => {
  const sample = () =>
    toEntry(
      [
        { field: '@timestamp', value: '2026-11-23 10:00:01.250' },
        {
          field: '@message',
          value: '{"requestId":"c0ffee","httpMethod":"POST","resourcePath":"/orders","status":"502"}',
        },
        { field: '@log', value: '123456789012:/aws/apigateway/prod-access' },
        { field: '@ptr', value: 'CmAKJwojMTIzNDU2Nzg5MDEy' },
      ],
      'status',
    )

  it('stays the same across versions, so checkpoints saved by earlier runs still match', () => {
    // The value earlier versions saved for this entry. If this changes, every checkpoint in use
    // stops matching and the next run reports its whole overlap again.
    expect(fingerprint(sample())).toBe('4eGbB9JXkk8s')
  })

  it('ignores @ptr and the order the fields came in', () => {
    const entry = sample()
    const reordered = toEntry(
      Object.entries(entry.fields)
        .reverse()
        .map(([field, value]) => ({ field, value: field === '@ptr' ? 'another-pointer' : value })),
      'status',
    )
    expect(fingerprint(reordered)).toBe(fingerprint(entry))
  })

  it('cannot be forged by separators inside field text', () => {
    const oneField = toEntry([{ field: 'a', value: 'x\u0000b\u0000y' }], 'status')
    const twoFields = toEntry(
      [
        { field: 'a', value: 'x' },
        { field: 'b', value: 'y' },
      ],
      'status',
    )
    expect(fingerprint(oneField)).not.toBe(fingerprint(twoFields))
    const escapedLookalike = toEntry([{ field: 'a', value: 'x\u0001\u0000b\u0000y' }], 'status')
    expect(new Set([oneField, twoFields, escapedLookalike].map(fingerprint)).size).toBe(3)
  })
})

describe('entrySecond', () => {
  const at = (timestamp: string) => entrySecond(toEntry(row({ '@timestamp': timestamp }), 'status'))
  const second = (iso: string) => Date.parse(iso) / 1000

  it("reads Insights' own UTC format, with or without a fraction", () => {
    expect(at('2026-11-23 10:00:01.999')).toBe(second('2026-11-23T10:00:01Z'))
    expect(at('2026-11-23 10:00:01')).toBe(second('2026-11-23T10:00:01Z'))
    expect(at('2026-11-23 10:00:01.123456')).toBe(second('2026-11-23T10:00:01Z'))
  })

  it('gives each row its own second when neighbours differ, in any order', () => {
    const texts = [
      '2026-11-23 10:00:02.000',
      '2026-11-23 10:00:01.500',
      '2026-11-23 10:00:02.900',
      '2026-11-24 10:00:02.000',
    ]
    expect(texts.map(at)).toEqual([
      second('2026-11-23T10:00:02Z'),
      second('2026-11-23T10:00:01Z'),
      second('2026-11-23T10:00:02Z'),
      second('2026-11-24T10:00:02Z'),
    ])
  })

  it('reads ISO 8601 with a zone, and has no second for text that is no time', () => {
    expect(at('2026-11-23T12:00:01.5+02:00')).toBe(second('2026-11-23T10:00:01Z'))
    expect(at('2026-11-23T10:00:01Z')).toBe(second('2026-11-23T10:00:01Z'))
    for (const text of ['', 'yesterday', '2026-13-45 10:00:00.000', '2026-11-23 25:00:00']) {
      expect(at(text)).toBeUndefined()
    }
    expect(entrySecond(toEntry(row({ '@message': 'x' }), 'status'))).toBeUndefined()
  })
})
