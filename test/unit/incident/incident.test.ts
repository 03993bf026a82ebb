import { describe, expect, it } from 'vitest'
import {
  type AlertDecision,
  type AlertSettings,
  type AlertState,
  decideAlert,
} from '../../../src/alerting.js'
import type { Entry } from '../../../src/entries.js'
import {
  advanceIncident,
  type Incident,
  type IncidentAdvance,
  parseIncident,
} from '../../../src/incident/incident.js'
import { accessLog, makeReport, WINDOW_START } from '../notify/fixtures.js'
import { entries, HOSTILE_VALUES, MINUTE, makeIncident } from './fixtures.js'

/** The action's defaults, but resolve-after 10m: two clean 5-minute windows resolve an episode. */
const ALERTING: AlertSettings = {
  thresholds: { critical: 1, warning: 50, other: 1 },
  realertSeconds: 3600,
  resolveAfterSeconds: 600,
  notifyResolved: true,
}
const SETTINGS = { reopenWithinSeconds: 3600, monitorName: 'api-errors' }

/**
 * A cron every five minutes, carrying the alert memory and the incident from run to run as the
 * checkpoint does: each run's window ends at `minute`, the run itself starts a minute later.
 */
class Monitor {
  alert: AlertState | undefined
  incident: Incident | undefined
  run = 0

  step(minute: number, found: Entry[], options: { complete?: boolean } = {}): IncidentAdvance {
    this.run += 1
    const window = { start: WINDOW_START + (minute - 5) * MINUTE, end: WINDOW_START + minute * MINUTE }
    const now = window.end + MINUTE
    const report = makeReport({
      entries: found,
      window,
      runUrl: `https://github.com/acme/api/actions/runs/${1000 + this.run}`,
    })
    let decision: AlertDecision = decideAlert(report.digest, this.alert, now, window, ALERTING)
    // steps/alert.ts: a run that did not check every log group neither clears nor resolves.
    if (options.complete === false && decision.kind !== 'alert' && decision.kind !== 'quiet') {
      decision = {
        kind: 'none',
        state: this.alert ?? { pending: { total: 0, critical: 0, warning: 0, windows: 0 } },
      }
    }
    this.alert = decision.state
    const advance = advanceIncident(this.incident, decision, report, now, SETTINGS)
    this.incident = advance.incident
    return advance
  }
}

/** One incident's life: 4xx, more 4xx, 5xx, 4xx, then two clean windows. */
function lifeOfAnIncident(monitor = new Monitor(), from = 5): IncidentAdvance[] {
  return [
    monitor.step(from, entries(60, '404', '/items/{id}')),
    monitor.step(from + 5, entries(55, '429', '/items/{id}')),
    monitor.step(from + 10, [...entries(3, '502'), ...entries(52, '404', '/items/{id}')]),
    monitor.step(from + 15, entries(51, '404', '/items/{id}')),
    monitor.step(from + 20, []),
    monitor.step(from + 25, []),
  ]
}

describe('advanceIncident: one incident over the runs', () => {
  it('opens, updates, escalates with a mention, quiets and resolves: one card, two mentions', () => {
    const monitor = new Monitor()
    const steps = lifeOfAnIncident(monitor)
    expect(steps.map((step) => step.action)).toEqual([
      'open',
      'update',
      'update',
      'update',
      'update',
      'resolve',
    ])
    expect(steps.map((step) => step.mention)).toEqual([true, false, true, false, false, false])
    expect(steps.map((step) => step.incident?.status)).toEqual([
      'firing',
      'firing',
      'firing',
      'firing',
      'quiet',
      'resolved',
    ])
    // One incident from start to end.
    expect(new Set(steps.map((step) => step.incident?.id)).size).toBe(1)
  })

  it('adds up every window, keeps when it was seen, and links its first and latest run', () => {
    const monitor = new Monitor()
    lifeOfAnIncident(monitor)
    const incident = monitor.incident as Incident
    expect(incident).toMatchObject({
      monitor: 'api-errors',
      openedAt: WINDOW_START + 6 * MINUTE,
      firstSeen: WINDOW_START,
      // The last window with entries ended at minute 20; the clean ones after it move nothing.
      lastSeen: WINDOW_START + 20 * MINUTE,
      totals: { total: 221, critical: 3, warning: 218 },
      windows: 6,
      escalated: true,
      reopened: 0,
      resolvedAt: WINDOW_START + 31 * MINUTE,
      firstRunUrl: 'https://github.com/acme/api/actions/runs/1001',
      lastRunUrl: 'https://github.com/acme/api/actions/runs/1006',
    })
    expect(incident.id).toMatch(/^20261123-1006-[0-9a-f]{4}$/)
    expect(incident.topStatuses).toEqual([
      { value: '404', count: 163 },
      { value: '429', count: 55 },
      { value: '502', count: 3 },
    ])
    expect(incident.topRoutes).toEqual([
      { value: '/items/{id}', count: 218 },
      { value: '/orders', count: 3 },
    ])
  })

  it('mentions once at opening when it opens with 5xx, and never again for 5xx', () => {
    const monitor = new Monitor()
    const steps = [
      monitor.step(5, entries(2, '500')),
      monitor.step(10, entries(60, '404')),
      monitor.step(15, entries(4, '503')),
    ]
    expect(steps.map((step) => [step.action, step.mention])).toEqual([
      ['open', true],
      ['update', false],
      ['update', false],
    ])
    expect(monitor.incident?.escalated).toBe(false)
  })

  it('escalates once: a second 5xx window after the escalation does not mention again', () => {
    const monitor = new Monitor()
    const mentions = [
      monitor.step(5, entries(60, '404')),
      monitor.step(10, entries(1, '500')),
      monitor.step(15, entries(1, '500')),
    ].map((step) => step.mention)
    expect(mentions).toEqual([true, true, false])
  })

  it('does not mention for 5xx below their threshold in a window that does not alert', () => {
    const settings = { ...ALERTING, thresholds: { critical: 10, warning: 50 } }
    const window = (minute: number) => ({
      start: WINDOW_START + (minute - 5) * MINUTE,
      end: WINDOW_START + minute * MINUTE,
    })
    const open = makeReport({ entries: entries(60, '404'), window: window(5) })
    const first = decideAlert(open.digest, undefined, window(5).end, window(5), settings)
    const opened = advanceIncident(undefined, first, open, window(5).end, SETTINGS)
    const few5xx = makeReport({ entries: entries(2, '500'), window: window(10) })
    const clearing = decideAlert(few5xx.digest, first.state, window(10).end, window(10), settings)
    expect(clearing.kind).toBe('clearing')
    const next = advanceIncident(opened.incident, clearing, few5xx, window(10).end, SETTINGS)
    expect(next).toMatchObject({
      action: 'update',
      mention: false,
      incident: { status: 'quiet', escalated: false },
    })
    expect(next.incident?.totals.critical).toBe(2)
  })
})

describe('advanceIncident: after it resolved', () => {
  it('reopens the same incident, cards and issue, when it comes back 20 minutes later', () => {
    const monitor = new Monitor()
    lifeOfAnIncident(monitor)
    // What the integrator records once the card is posted and the issue created.
    const resolved = {
      ...(monitor.incident as Incident),
      cards: [{ channel: 'C0123ABCD', ts: '1.000100', requested: 'C0123ABCD' }],
      issueNumber: 42,
    }
    monitor.incident = resolved
    // Resolved at minute 31; a clean run in between keeps it for reopening.
    expect(monitor.step(40, [])).toMatchObject({ action: 'none', mention: false, incident: resolved })
    const again = monitor.step(50, entries(60, '404', '/login'))
    expect(again.action).toBe('reopen')
    expect(again.mention).toBe(true)
    expect(again.incident).toMatchObject({
      id: resolved.id,
      cards: resolved.cards,
      issueNumber: 42,
      status: 'firing',
      reopened: 1,
      openedAt: resolved.openedAt,
      firstSeen: resolved.firstSeen,
      lastSeen: WINDOW_START + 50 * MINUTE,
      windows: 7,
      totals: { total: 281, critical: 3, warning: 278 },
    })
    expect(again.incident?.resolvedAt).toBeUndefined()
    // And it goes on as one incident: the next window updates it.
    expect(monitor.step(55, entries(60, '404')).action).toBe('update')
  })

  it('opens a new incident when it comes back 2 hours later, and drops the old one before that', () => {
    const monitor = new Monitor()
    lifeOfAnIncident(monitor)
    const old = monitor.incident as Incident
    // Resolved at minute 31, reopen-within 1h: by minute 95 it is gone.
    expect(monitor.step(95, [])).toEqual({ incident: undefined, action: 'none', mention: false })
    monitor.incident = { ...old, cards: [{ channel: 'C0123ABCD', ts: '1.000100', requested: 'C0123ABCD' }] }
    const later = monitor.step(150, entries(60, '404'))
    expect(later.action).toBe('open')
    expect(later.mention).toBe(true)
    expect(later.incident?.id).not.toBe(old.id)
    expect(later.incident).toMatchObject({ cards: [], reopened: 0, windows: 1, status: 'firing' })
    expect(later.incident?.id).toMatch(/^20261123-1231-[0-9a-f]{4}$/)
  })

  it('has no incident at all while nothing alerts', () => {
    const monitor = new Monitor()
    expect(monitor.step(5, entries(3, '404'))).toEqual({
      incident: undefined,
      action: 'none',
      mention: false,
    })
    expect(monitor.step(10, [])).toEqual({ incident: undefined, action: 'none', mention: false })
  })
})

describe('advanceIncident: runs that prove nothing, and episodes closed without a message', () => {
  it('leaves an open incident as it was after a run that did not check every log group', () => {
    const monitor = new Monitor()
    monitor.step(5, entries(60, '404'))
    const before = monitor.incident
    const advance = monitor.step(10, [], { complete: false })
    expect(advance).toEqual({ incident: before, action: 'none', mention: false })
    // The checkpoint did not move: the next run checks that window again, and the clean windows
    // clear and resolve it as usual.
    expect([monitor.step(10, []).action, monitor.step(15, []).action]).toEqual(['update', 'resolve'])
  })

  it('resolves the incident when the episode closes without a resolved notice (notify-resolved: false)', () => {
    const opened = advanceIncident(
      undefined,
      {
        kind: 'alert',
        state: { pending: { total: 0, critical: 0, warning: 0, windows: 0 }, failingSince: 1 },
      },
      makeReport({ entries: entries(60, '404') }),
      WINDOW_START + 360,
      SETTINGS,
    )
    const closed = {
      failingSince: WINDOW_START,
      failingUntil: WINDOW_START + 300,
      cleanSince: WINDOW_START + 300,
    }
    const decision: AlertDecision = {
      kind: 'none',
      closed,
      state: { pending: { total: 0, critical: 0, warning: 0, windows: 0 } },
    }
    const advance = advanceIncident(opened.incident, decision, makeReport(), WINDOW_START + 2000, SETTINGS)
    expect(advance).toMatchObject({
      action: 'resolve',
      mention: false,
      incident: { status: 'resolved', resolvedAt: WINDOW_START + 2000 },
    })
  })
})

describe('advanceIncident: what it keeps stays bounded', () => {
  it('keeps the 20 most frequent statuses and routes, each cut to 200 characters, whatever the logs hold', () => {
    const found: Entry[] = []
    for (let i = 0; i < 300; i += 1) {
      const route = `/${'x'.repeat(5_000)}/${i}`
      for (let n = 0; n <= i % 7; n += 1)
        found.push(accessLog({ status: `4${String(i % 100).padStart(2, '0')}`, resourcePath: route }))
    }
    found.push(...entries(500, '500', '__proto__'))
    const report = makeReport({ entries: found })
    const decision = decideAlert(report.digest, undefined, WINDOW_START + 360, report.window, ALERTING)
    const { incident } = advanceIncident(undefined, decision, report, WINDOW_START + 360, SETTINGS)
    expect(incident?.topRoutes).toHaveLength(20)
    expect(incident?.topStatuses).toHaveLength(20)
    expect(incident?.topRoutes[0]).toEqual({ value: '__proto__', count: 500 })
    expect(Math.max(...(incident?.topRoutes ?? []).map(({ value }) => value.length))).toBeLessThanOrEqual(200)
    expect(JSON.stringify(incident).length).toBeLessThan(10_000)
  })

  it('merges a route seen again across windows into one count', () => {
    const monitor = new Monitor()
    monitor.step(5, entries(60, '404', '<!channel>'))
    monitor.step(10, entries(55, '404', '<!channel>'))
    expect(monitor.incident?.topRoutes).toEqual([{ value: '<!channel>', count: 115 }])
  })
})

describe('parseIncident', () => {
  const incident = makeIncident({
    topRoutes: HOSTILE_VALUES.map((value, i) => ({ value, count: 20 - i })),
    issueNumber: 7,
  })

  it('reads back what was saved, resolved ones too', () => {
    expect(parseIncident(JSON.parse(JSON.stringify(incident)))).toEqual(incident)
    const resolved = makeIncident({ status: 'resolved', resolvedAt: WINDOW_START + 3_000 })
    expect(parseIncident(JSON.parse(JSON.stringify(resolved)))).toEqual(resolved)
    const bare = makeIncident({ cards: [] })
    delete bare.firstRunUrl
    delete bare.lastRunUrl
    expect(parseIncident(JSON.parse(JSON.stringify(bare)))).toEqual(bare)
  })

  it.each<[string, Record<string, unknown>]>([
    ['an unknown status', { status: 'open' }],
    ['no id', { id: '' }],
    ['no monitor', { monitor: undefined }],
    ['negative totals', { totals: { total: -1, critical: 0, warning: 0 } }],
    ['totals missing a count', { totals: { total: 1, critical: 0 } }],
    ['a time that is not whole seconds', { lastSeen: 1.5 }],
    ['windows as text', { windows: '8' }],
    ['escalated missing', { escalated: undefined }],
    ['a top list that is not a list', { topRoutes: { '/orders': 3 } }],
    ['a top value that is not text', { topStatuses: [{ value: 502, count: 1 }] }],
    [
      'a longer top list than is kept',
      { topStatuses: Array.from({ length: 21 }, (_, i) => ({ value: `${i}`, count: 1 })) },
    ],
    ['a card without its ts', { cards: [{ channel: 'C1' }] }],
    ['a card ts that is a number', { cards: [{ channel: 'C1', ts: 1.2 }] }],
    ['issue number 0', { issueNumber: 0 }],
    ['a run link that is not text', { lastRunUrl: 5 }],
    ['resolved without when', { status: 'resolved' }],
    ['firing with a resolution time', { resolvedAt: WINDOW_START }],
  ])('refuses %s', (_, change) => {
    const value: Record<string, unknown> = { ...JSON.parse(JSON.stringify(incident)), ...change }
    for (const key of Object.keys(change)) if (change[key] === undefined) delete value[key]
    expect(parseIncident(value)).toBeUndefined()
  })

  it('refuses what is not an object', () => {
    for (const value of [null, 'incident', [incident], 5]) expect(parseIncident(value)).toBeUndefined()
  })
})
