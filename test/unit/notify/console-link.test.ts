import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type ConsoleLinkInput, logsInsightsConsoleUrl } from '../../../src/notify/console-link.js'

const FRAGMENT = '#logsV2:logs-insights$3FqueryDetail$3D'

/** Epoch seconds of a UTC time, written the way the expected links read. */
function utc(iso: string): number {
  return Date.parse(iso) / 1000
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json }

/**
 * A JSURL v1 reader, written from the grammar in Sage/jsurl `lib/jsurl.js` (the one the console's links
 * follow): `~'text`, `~(key~value~…)`, `~(~v1~v2)`, `~(~)`, numbers, `true`/`false`/`!0`/`!1`/`!2`; in
 * text `*XX` and `**XXXX` are UTF-16 code units and `!` is `$`. Stricter than the original: a bad
 * escape or trailing text is an error, not a guess.
 */
function parseJsurl(text: string): Json {
  let i = 0
  const fail = (why: string): never => {
    throw new Error(`bad JSURL at ${i}: ${why}`)
  }
  const eat = (expected: string): void => {
    if (text[i] !== expected) fail(`expected ${expected}, got ${text[i]}`)
    i++
  }
  const readText = (): string => {
    let out = ''
    while (i < text.length && text[i] !== '~' && text[i] !== ')') {
      const ch = text[i]
      if (ch === '*') {
        const wide = text[i + 1] === '*'
        const hex = wide ? text.slice(i + 2, i + 6) : text.slice(i + 1, i + 3)
        if (!(wide ? /^[0-9a-f]{4}$/ : /^[0-9a-f]{2}$/).test(hex)) fail(`bad escape ${hex}`)
        out += String.fromCharCode(Number.parseInt(hex, 16))
        i += wide ? 6 : 3
      } else {
        out += ch === '!' ? '$' : ch
        i++
      }
    }
    return out
  }
  const readValue = (): Json => {
    eat('~')
    if (text[i] === "'") {
      i++
      return readText()
    }
    if (text[i] === '(') {
      i++
      if (text[i] === '~') {
        const items: Json[] = []
        if (text[i + 1] === ')') i++
        else
          do items.push(readValue())
          while (text[i] === '~')
        eat(')')
        return items
      }
      const object: { [key: string]: Json } = {}
      while (text[i] !== ')') {
        const key = readText()
        object[key] = readValue()
        if (text[i] === '~') i++
        else if (text[i] !== ')') fail('expected ~ or )')
      }
      eat(')')
      return object
    }
    const from = i
    while (i < text.length && text[i] !== '~' && text[i] !== ')') i++
    const word = text.slice(from, i)
    const keywords: Record<string, Json> = { true: true, false: false, '!0': false, '!1': true, '!2': null }
    if (word in keywords) return keywords[word] as Json
    if (/^-?\d+(\.\d+)?$/.test(word)) return Number(word)
    return fail(`bad value ${word}`)
  }
  const value = readValue()
  if (i !== text.length) fail('trailing text')
  return value
}

/** The query detail of a console link, decoded. */
function detailOf(url: string): Json {
  const at = url.indexOf(FRAGMENT)
  expect(at).toBeGreaterThan(0)
  return parseJsurl(url.slice(at + FRAGMENT.length))
}

/** What makes a link unusable in Slack's `<url|label>`, an HTML attribute, or as one line. */
const UNSAFE = /[|<>\s"&%\\`]/

function expectSafe(url: string): void {
  expect(url).not.toMatch(UNSAFE)
  expect(url).toMatch(/^[A-Za-z0-9_.~'()*:/?=#$-]+$/)
  // blocks.ts (slackLink) and summary.ts pass links through the WHATWG parser: it must not change them.
  expect(new URL(url).href).toBe(url)
}

describe('logsInsightsConsoleUrl: checked against known-good links', () => {
  it('matches a link the console wrote in its address bar, but for the keys it adds or we choose', () => {
    // Console address-bar link quoted verbatim in Pearcekieser/tampermonkey-scripts
    // aws/cw-insights/cw-lambda-deep-dive.user.js ("test url").
    const consoleWrote =
      "https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2#logsV2:logs-insights$3FqueryDetail$3D~(end~'2021-11-27T04*3a59*3a59.000Z~start~'2021-11-26T05*3a00*3a00.000Z~timeType~'ABSOLUTE~tz~'LOCAL~editorString~'fields*20*40timestamp*2c*20*40message*0a*7c*20sort*20*40timestamp*20desc*0a*7c*20limit*2020*0a~queryId~'ead0409a1d8e7f70-d55cab82-4f2612a-1bb95f-e94a22a9d2582187f6f083d7~source~(~'*2faws*2flambda*2fHelloLambda1~'*2faws*2flambda*2fHelloLambda2))"
    const url = logsInsightsConsoleUrl({
      region: 'us-west-2',
      logGroups: ['/aws/lambda/HelloLambda1', '/aws/lambda/HelloLambda2'],
      query: 'fields @timestamp, @message\n| sort @timestamp desc\n| limit 20\n',
      window: { start: utc('2021-11-26T05:00:00Z'), end: utc('2021-11-27T04:59:59Z') },
    })
    expect(url).toBe(
      "https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2#logsV2:logs-insights$3FqueryDetail$3D~(end~'2021-11-27T04*3a59*3a59.000Z~start~'2021-11-26T05*3a00*3a00.000Z~timeType~'ABSOLUTE~tz~'UTC~editorString~'fields*20*40timestamp*2c*20*40message*0a*7c*20sort*20*40timestamp*20desc*0a*7c*20limit*2020*0a~source~(~'*2faws*2flambda*2fHelloLambda1~'*2faws*2flambda*2fHelloLambda2)~lang~'CWLI)",
    )
    // The only differences: no queryId (there is no console query to point at), UTC, lang set.
    const adjusted = consoleWrote
      .replace(/~queryId~'[^~)]*/, '')
      .replace("~tz~'LOCAL", "~tz~'UTC")
      .replace(/\)$/, "~lang~'CWLI)")
    expect(url).toBe(adjusted)
  })

  it('matches a console link whose query holds quotes, backslashes and a regex, with lang after source', () => {
    // Console address-bar link quoted in a public ops runbook (section "WMS-I-1041"); the console
    // writes `'` as *27 and `\` as *5c, keeps `_`, `.`, `-`, and puts `lang` after `source`.
    const consoleWrote =
      "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logsV2:logs-insights$3FqueryDetail$3D~(end~'2026-05-20T04*3a59*3a59.000Z~start~'2026-05-19T05*3a00*3a00.000Z~timeType~'ABSOLUTE~tz~'LOCAL~editorString~'fields*20*40timestamp*2c*20*40message*2c*20*40logStream*2c*20*40log*0a*7c*20filter*20*40message*20like*20*2fAttempting*20to*20move*20file*20from*20*27vendors*5c*2finnovations_lms*5c*2fOut*5c*2fLLAS*5c*2fLV3K3N2Q5-LV3K3N2Q5-1.RXT*27*2f*0a*7c*20sort*20*40timestamp*20desc*0a*7c*20limit*201000~queryId~'46175e02-b93a-4886-9d32-da2f3e50996c~source~(~'*2faws*2flambda*2foic-monocle-integrations-events_handler_lambda-prod-us-east-1~'*2faws*2flambda*2foic-monocle-integrations-lambda-prod-us-east-1)~lang~'CWLI~logClass~'STANDARD~queryBy~'logGroupName)"
    const url = logsInsightsConsoleUrl({
      region: 'us-east-1',
      logGroups: [
        '/aws/lambda/oic-monocle-integrations-events_handler_lambda-prod-us-east-1',
        '/aws/lambda/oic-monocle-integrations-lambda-prod-us-east-1',
      ],
      query: [
        'fields @timestamp, @message, @logStream, @log',
        String.raw`| filter @message like /Attempting to move file from 'vendors\/innovations_lms\/Out\/LLAS\/LV3K3N2Q5-LV3K3N2Q5-1.RXT'/`,
        '| sort @timestamp desc',
        '| limit 1000',
      ].join('\n'),
      window: { start: utc('2026-05-19T05:00:00Z'), end: utc('2026-05-20T04:59:59Z') },
      queryLanguage: 'CWLI',
    })
    const adjusted = consoleWrote
      .replace(/~queryId~'[^~)]*/, '')
      .replace("~tz~'LOCAL", "~tz~'UTC")
      .replace("~logClass~'STANDARD~queryBy~'logGroupName", '')
    expect(url).toBe(adjusted)
  })

  it('encodes a query as the reference quotes remotion and Grafana links doing it', () => {
    // remotion-dev/remotion packages/lambda/src/shared/call-lambda-streaming.ts (reference §4.1 item 1,
    // with its `*` typo for the opening `*22` corrected).
    const remotion = logsInsightsConsoleUrl({
      region: 'eu-central-1',
      logGroups: ['/aws/lambda/remotion-render'],
      query:
        'fields @timestamp, @requestId, @message\n| filter @requestId like "abc-123"\n| sort @timestamp asc',
      window: { start: 0, end: 3600 },
    })
    expect(remotion).toContain(
      "~editorString~'fields*20*40timestamp*2c*20*40requestId*2c*20*40message*0a*7c*20filter*20*40requestId*20like*20*22abc-123*22*0a*7c*20sort*20*40timestamp*20asc~source~(~'*2faws*2flambda*2fremotion-render)~",
    )
    // A Grafana-made link quoted in grafana/grafana#109889: `(` `)` as *28 *29, `!=` as *21*3d.
    const grafana = logsInsightsConsoleUrl({
      region: 'us-east-1',
      logGroups: ['app'],
      query:
        'fields @timestamp, namespace, duration\n| filter ispresent(namespace) and namespace != "POST /api/v1/recipes.createRecipe"',
      window: { start: 0, end: 3600 },
    })
    expect(grafana).toContain(
      "~editorString~'fields*20*40timestamp*2c*20namespace*2c*20duration*0a*7c*20filter*20ispresent*28namespace*29*20and*20namespace*20*21*3d*20*22POST*20*2fapi*2fv1*2frecipes.createRecipe*22~source~",
    )
  })

  it('writes an ARN source as console links do, without the trailing :*', () => {
    // ARN in `source` as in a console link quoted in public code: ~'arn*3aaws*3alogs*3a…*3alog-group*3a*2fx
    const url = logsInsightsConsoleUrl({
      region: 'eu-north-1',
      logGroups: ['arn:aws:logs:eu-north-1:123456789012:log-group:/x:*'],
      query: 'fields @timestamp',
      window: { start: utc('2026-05-22T05:45:58Z'), end: utc('2026-05-22T11:33:14Z') },
    })
    expect(url).toBe(
      "https://eu-north-1.console.aws.amazon.com/cloudwatch/home?region=eu-north-1#logsV2:logs-insights$3FqueryDetail$3D~(end~'2026-05-22T11*3a33*3a14.000Z~start~'2026-05-22T05*3a45*3a58.000Z~timeType~'ABSOLUTE~tz~'UTC~editorString~'fields*20*40timestamp~source~(~'arn*3aaws*3alogs*3aeu-north-1*3a123456789012*3alog-group*3a*2fx)~lang~'CWLI)",
    )
  })

  it('uses the GovCloud console host, region first, as Grafana does', () => {
    // grafana/grafana aws_url.test.ts: us-gov-east-1 -> us-gov-east-1.console.amazonaws-us-gov.com
    const url = logsInsightsConsoleUrl({
      region: 'us-gov-west-1',
      logGroups: ['/aws/apigateway/prod'],
      query: 'source=`/aws/apigateway/prod` | where status >= 500',
      window: { start: utc('2026-11-23T10:00:00Z'), end: utc('2026-11-23T10:04:59Z') },
      queryLanguage: 'PPL',
    })
    expect(url).toBe(
      "https://us-gov-west-1.console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#logsV2:logs-insights$3FqueryDetail$3D~(end~'2026-11-23T10*3a04*3a59.000Z~start~'2026-11-23T10*3a00*3a00.000Z~timeType~'ABSOLUTE~tz~'UTC~editorString~'source*3d*60*2faws*2fapigateway*2fprod*60*20*7c*20where*20status*20*3e*3d*20500~source~(~'*2faws*2fapigateway*2fprod)~lang~'PPL)",
    )
  })

  it('uses the China console host, region first, as Grafana does', () => {
    // grafana/grafana aws_url.test.ts: cn-northwest-1 -> cn-northwest-1.console.amazonaws.cn
    const url = logsInsightsConsoleUrl({
      region: 'cn-north-1',
      logGroups: ['api-access'],
      query: 'SELECT status FROM `api-access` WHERE status >= 500',
      window: { start: utc('2026-11-23T10:00:00Z'), end: utc('2026-11-23T10:04:59Z') },
      queryLanguage: 'SQL',
    })
    expect(url).toBe(
      "https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1#logsV2:logs-insights$3FqueryDetail$3D~(end~'2026-11-23T10*3a04*3a59.000Z~start~'2026-11-23T10*3a00*3a00.000Z~timeType~'ABSOLUTE~tz~'UTC~editorString~'SELECT*20status*20FROM*20*60api-access*60*20WHERE*20status*20*3e*3d*20500~source~(~'api-access)~lang~'SQL)",
    )
    expect(logsInsightsConsoleUrl({ ...CHINA_NINGXIA })).toMatch(
      /^https:\/\/cn-northwest-1\.console\.amazonaws\.cn\/cloudwatch\/home\?region=cn-northwest-1#/,
    )
  })
})

const CHINA_NINGXIA: ConsoleLinkInput = {
  region: 'cn-northwest-1',
  logGroups: ['a'],
  query: 'fields @message',
  window: { start: 0, end: 0 },
}

/** Everything that has a meaning in JSURL, a URL, Slack or HTML, plus text beyond Latin-1. */
const HOSTILE_QUERY = [
  'fields @timestamp, @message, status',
  `| filter @message like /"error": '(5\\d\\d)'/ and path != "/a|b<c>&d"`,
  '| filter msg like "~tilde~ *star* $HOME !bang% #hash )paren( \'quote\'"',
  '| filter user = "José Müller" or note = "déjà vu ✓ 🚨🔥"\r',
  '| stats count(*) as n by status\t| sort n desc <!here>',
].join('\n')

describe('logsInsightsConsoleUrl: round trip through a JSURL reader', () => {
  const input: ConsoleLinkInput = {
    region: 'eu-west-1',
    logGroups: [
      '/aws/apigateway/prod-access',
      'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/api:*',
    ],
    query: HOSTILE_QUERY,
    window: { start: utc('2026-11-23T10:00:00Z'), end: utc('2026-11-23T10:04:59Z') },
  }

  it('gives back the exact query, log groups (ARN without :*), window and language', () => {
    expect(detailOf(logsInsightsConsoleUrl(input))).toEqual({
      end: '2026-11-23T10:04:59.000Z',
      start: '2026-11-23T10:00:00.000Z',
      timeType: 'ABSOLUTE',
      tz: 'UTC',
      editorString: HOSTILE_QUERY,
      source: [
        '/aws/apigateway/prod-access',
        'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/api',
      ],
      lang: 'CWLI',
    })
  })

  it('writes non-ASCII as UTF-16 code units: é as *e9, an emoji as its two surrogates', () => {
    const url = logsInsightsConsoleUrl({ ...input, query: 'é🚨€' })
    expect(url).toContain("~editorString~'*e9**d83d**dea8**20ac~source~")
    expect(detailOf(url)).toMatchObject({ editorString: 'é🚨€' })
  })

  it("writes $ as *24 and ', (, ) as *27, *28, *29, which a JSURL reader takes as it takes ! for $", () => {
    const url = logsInsightsConsoleUrl({ ...input, query: "$'()!" })
    expect(url).toContain("~editorString~'*24*27*28*29*21~source~")
    expect(detailOf(url)).toMatchObject({ editorString: "$'()!" })
    expect(parseJsurl("~'a!b*24c")).toBe('a$b$c')
  })

  it('shows the window as the seconds given to StartQuery, both ends included', () => {
    const oneSecond = logsInsightsConsoleUrl({
      ...input,
      window: { start: 1_700_000_000, end: 1_700_000_000 },
    })
    expect(detailOf(oneSecond)).toMatchObject({
      start: '2023-11-14T22:13:20.000Z',
      end: '2023-11-14T22:13:20.000Z',
    })
  })

  it('keeps an empty source as an empty JSURL array (a query with its own SOURCE command)', () => {
    const url = logsInsightsConsoleUrl({ ...input, logGroups: [] })
    expect(url).toContain('~source~(~)~')
    expect(detailOf(url)).toMatchObject({ source: [] })
  })

  it('leaves an ARN without :* and a plain name as they are', () => {
    const url = logsInsightsConsoleUrl({
      ...input,
      logGroups: ['arn:aws:logs:us-east-1:1:log-group:g', 'plain'],
    })
    expect(detailOf(url)).toMatchObject({ source: ['arn:aws:logs:us-east-1:1:log-group:g', 'plain'] })
  })
})

describe('logsInsightsConsoleUrl: safe wherever the link is put', () => {
  it('has no | < > space, line break, quote or & even for a hostile query', () => {
    const url = logsInsightsConsoleUrl({
      region: 'eu-west-1',
      logGroups: ['/a b|c'],
      query: HOSTILE_QUERY,
      window: { start: 0, end: 60 },
    })
    expectSafe(url)
    expect(url).not.toContain('\n')
    expect(url.split('#')).toHaveLength(2)
  })

  it('round-trips and stays safe for any query text, lone surrogates included', () => {
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code))
    const query = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: codeUnit }))
    const groupName = fc.stringMatching(/^[\w./#-]{1,40}$/)
    fc.assert(
      fc.property(
        query,
        fc.array(groupName, { maxLength: 5 }),
        fc.integer({ min: 0, max: 4_102_444_800 }),
        fc.integer({ min: 0, max: 86_400 }),
        fc.constantFrom<ConsoleLinkInput['queryLanguage']>('CWLI', 'SQL', 'PPL', undefined),
        (text, groups, start, length, language) => {
          const url = logsInsightsConsoleUrl({
            region: 'ap-southeast-2',
            logGroups: groups,
            query: text,
            window: { start, end: start + length },
            ...(language === undefined ? {} : { queryLanguage: language }),
          })
          expectSafe(url)
          expect(detailOf(url)).toEqual({
            end: new Date((start + length) * 1000).toISOString(),
            start: new Date(start * 1000).toISOString(),
            timeType: 'ABSOLUTE',
            tz: 'UTC',
            editorString: text,
            source: groups,
            lang: language ?? 'CWLI',
          })
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('logsInsightsConsoleUrl: refuses what it cannot link to', () => {
  it.each(['', 'EU-WEST-1', 'eu-west-1.evil.example/', 'eu-west-1#x', 'localhost', 'eu west 1'])(
    'refuses the region %j',
    (region) => {
      expect(() => logsInsightsConsoleUrl({ ...CHINA_NINGXIA, region })).toThrow(RangeError)
    },
  )

  it.each([
    { start: 10, end: 9 },
    { start: 1.5, end: 9 },
    { start: 0, end: Number.NaN },
    { start: 0, end: Number.POSITIVE_INFINITY },
  ])('refuses the window %j', (window) => {
    expect(() => logsInsightsConsoleUrl({ ...CHINA_NINGXIA, window })).toThrow(RangeError)
  })
})
