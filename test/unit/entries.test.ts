import { describe, expect, it } from 'vitest'
import { fieldValue, toEntry } from '../../src/entries.js'

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
