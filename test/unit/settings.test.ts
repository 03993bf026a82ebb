import { describe, expect, it } from 'vitest'
import { SettingsError } from '../../src/errors.js'
import { DEFAULT_QUERY } from '../../src/inputs.js'
import { parseDuration, readSettings } from '../../src/settings.js'

function settingsFrom(inputs: Record<string, string>, env: Record<string, string> = {}) {
  const secrets: string[] = []
  const settings = readSettings({
    getInput: (name) => inputs[name] ?? '',
    setSecret: (value) => secrets.push(value),
    env,
  })
  return { settings, secrets }
}

const minimal = { 'log-group-names': '/aws/apigateway/prod-access', 'aws-region': 'eu-west-1' }

function errorFor(inputs: Record<string, string>, env: Record<string, string> = {}): SettingsError {
  try {
    settingsFrom(inputs, env)
  } catch (error) {
    if (error instanceof SettingsError) return error
    throw error
  }
  throw new Error('expected a SettingsError')
}

describe('readSettings', () => {
  it('applies the defaults of design.md when only the required inputs are given', () => {
    const { settings } = settingsFrom(minimal, {
      GITHUB_RUN_ID: '42',
      GITHUB_WORKFLOW: 'api-errors',
      GITHUB_JOB: 'watch',
    })
    expect(settings).toEqual({
      logGroups: ['/aws/apigateway/prod-access'],
      logGroupPrefixes: [],
      sourceAccounts: [],
      region: 'eu-west-1',
      roleSessionName: 'insights-watch-42',
      roleDurationSeconds: 900,
      audience: 'sts.amazonaws.com',
      query: DEFAULT_QUERY,
      queryLanguage: 'CWLI',
      intervalSeconds: 300,
      queryDelaySeconds: 60,
      overlapSeconds: 120,
      maxCatchUpSeconds: 3600,
      state: { kind: 'actions-cache' },
      queryTimeoutMs: 300_000,
      maxResults: 100_000,
      monitorName: 'api-errors / watch',
      slackWebhookUrls: [],
      statusField: 'status',
      groupBy: ['status', 'httpMethod', 'resourcePath', 'routeKey'],
      maxSamples: 10,
      // The quiet defaults (issue 12): 4xx alert at 50 a window, 5xx and status-less entries at 1;
      // a quiet period of an hour per episode; resolved after 15 minutes clean.
      thresholds: { critical: 1, warning: 50, other: 1 },
      // Issue 15: no rates unless asked for; an alert compares with the same window a week earlier.
      baselineSeconds: 7 * 86_400,
      mention: '',
      realertSeconds: 3600,
      reopenWithinSeconds: 3600,
      pricePerGb: 0.005,
      prComment: true,
      resolveAfterSeconds: 900,
      notifyResolved: true,
      notifyOnError: true,
      failOnMatch: false,
      dryRun: false,
    })
  })

  it('splits log groups on newlines and commas, drops duplicates and the trailing :* of ARNs', () => {
    const { settings } = settingsFrom({
      ...minimal,
      'log-group-names': '/a, /b\n\n/a\narn:aws:logs:eu-west-1:123456789012:log-group:/c:*\n',
    })
    expect(settings.logGroups).toEqual(['/a', '/b', 'arn:aws:logs:eu-west-1:123456789012:log-group:/c'])
  })

  it('takes the region from AWS_REGION when the input is empty', () => {
    const { settings } = settingsFrom({ 'log-group-names': '/a' }, { AWS_REGION: 'us-gov-west-1' })
    expect(settings.region).toBe('us-gov-west-1')
  })

  it('masks every webhook URL and its path as soon as it is read', () => {
    const url = 'https://hooks.slack.com/services/T000/B000/XXXXSECRET'
    const { settings, secrets } = settingsFrom({
      ...minimal,
      'slack-webhook-url': `${url}\nhttps://hooks.slack.com/services/T1/B1/Y`,
    })
    expect(settings.slackWebhookUrls).toHaveLength(2)
    expect(secrets).toContain(url)
    expect(secrets).toContain('/services/T000/B000/XXXXSECRET')
  })

  it('accepts a role ARN in any partition and upper/lower-case query languages', () => {
    const { settings } = settingsFrom({
      ...minimal,
      'role-to-assume': 'arn:aws-us-gov:iam::123456789012:role/path/insights-watch',
      'query-language': 'sql',
      query: 'SELECT * FROM `/aws/apigateway/prod-access` WHERE status >= 400',
    })
    expect(settings.roleToAssume).toBe('arn:aws-us-gov:iam::123456789012:role/path/insights-watch')
    expect(settings.queryLanguage).toBe('SQL')
  })

  it.each([
    [{ 'log-group-names': '' }, 'log-group-names', 'is required'],
    [{ 'log-group-names': 'bad group!' }, 'log-group-names', 'not a log group name or ARN'],
    [{ 'aws-region': 'Europe' }, 'aws-region', 'eu-west-1'],
    [{ 'role-to-assume': 'insights-watch' }, 'role-to-assume', 'arn:aws:iam::'],
    [{ 'role-duration-seconds': '60' }, 'role-duration-seconds', 'from 900 to 43200'],
    [{ 'role-session-name': 'has space' }, 'role-session-name', '2 to 64'],
    [{ interval: '5' }, 'interval', 'like 90s, 5m, 1h or 1h30m'],
    [{ interval: '0' }, 'interval', 'between 1s and 30d'],
    [{ 'query-delay': 'soon' }, 'query-delay', 'not a duration'],
    [{ 'query-timeout': '2h' }, 'query-timeout', 'between 1s and 1h'],
    [{ query: 'x'.repeat(10_001) }, 'query', 'at most 10000'],
    [{ 'query-language': 'KQL' }, 'query-language', 'CWLI, SQL or PPL'],
    [{ 'query-language': 'SQL' }, 'query-language', 'the default query is Logs Insights QL'],
    [{ 'query-language': 'PPL' }, 'query-language', 'write the PPL query in the query input'],
    [{ 'max-results': '100001' }, 'max-results', 'from 1 to 100000'],
    [{ 'max-samples': 'ten' }, 'max-samples', 'not a whole number'],
    [{ 'fail-on-match': 'yes' }, 'fail-on-match', 'true or false'],
    [{ 'dry-run': '1' }, 'dry-run', 'true or false'],
    [{ overlap: '-1m' }, 'overlap', 'not a duration'],
    [{ 'max-catch-up': '5m' }, 'max-catch-up', 'must be at least 18m'],
    [{ state: 'redis' }, 'state', 'actions-cache, file:<path> or none'],
    [{ thresholds: '0' }, 'thresholds', 'from 1 to'],
    [{ thresholds: '5xx=1, 3xx=2' }, 'thresholds', 'per severity like 5xx=1, 4xx=20'],
    [{ thresholds: '5xx=1, 5xx=2' }, 'thresholds', 'given twice'],
    [{ thresholds: '4xx=many' }, 'thresholds', 'not a whole number'],
    [{ mention: '@here' }, 'mention', '<!here>'],
    [{ mention: '<!here> <https://evil|x>' }, 'mention', 'not Slack mention syntax'],
    [{ realert: '20' }, 'realert', 'not a duration'],
    [{ 'resolve-after': '15' }, 'resolve-after', 'not a duration'],
    [{ 'resolve-after': '31d' }, 'resolve-after', 'out of range'],
    [{ thresholds: 'others=1' }, 'thresholds', 'other=N for entries without a 4xx/5xx status'],
    [{ 'notify-resolved': 'maybe' }, 'notify-resolved', 'true or false'],
    [{ 'notify-on-error': 'no' }, 'notify-on-error', 'true or false'],
    [{ state: 'file:' }, 'state', 'actions-cache, file:<path> or none'],
    [{ 'slack-webhook-url': 'hooks.slack.com/services/x' }, 'slack-webhook-url', 'not an http(s) URL'],
    [
      { 'query-language': 'SQL', query: 'SELECT status, resourcePath FROM `/aws/apigateway/prod-access`' },
      'query',
      'add `@timestamp` to the SELECT list',
    ],
    [
      { 'query-language': 'PPL', query: 'source = `/g` | fields status' },
      'query',
      'add `@timestamp` to its fields',
    ],
    [
      { 'query-language': 'SQL', query: 'SELECT * WHERE status >= 400' },
      'query',
      'FROM `/aws/apigateway/prod-access`',
    ],
    [
      { 'query-language': 'SQL', query: 'SELECT * FROM `/aws/apigateway/other`' },
      'query',
      "log-group-names has /aws/apigateway/prod-access that the query's FROM does not name; the query's FROM names /aws/apigateway/other",
    ],
    [
      {
        'query-language': 'SQL',
        'log-group-names': Array.from({ length: 51 }, (_, i) => `/g${i}`).join('\n'),
        query: 'SELECT * FROM `/g0`',
      },
      'log-group-names',
      'at most 50 in its FROM clause',
    ],
  ])('refuses %o naming the input and what it accepts', (bad, input, hint) => {
    const error = errorFor({ ...minimal, ...bad })
    expect(error.input).toBe(input)
    expect(error.message).toContain(`Input "${input}"`)
    expect(error.message).toContain(hint)
  })

  it('reads thresholds overall or per severity, and mentions', () => {
    expect(settingsFrom({ ...minimal, thresholds: '5' }).settings.thresholds).toEqual({ total: 5 })
    expect(settingsFrom({ ...minimal, thresholds: '5xx=1, 4xx=20' }).settings.thresholds).toEqual({
      critical: 1,
      warning: 20,
    })
    expect(settingsFrom({ ...minimal, thresholds: 'total=50\n5xx = 2' }).settings.thresholds).toEqual({
      total: 50,
      critical: 2,
    })
    expect(settingsFrom({ ...minimal, mention: '<!here> <@U012AB3CD>' }).settings.mention).toBe(
      '<!here> <@U012AB3CD>',
    )
    expect(settingsFrom({ ...minimal, realert: '20m' }).settings.realertSeconds).toBe(1200)
    expect(settingsFrom({ ...minimal, thresholds: '5xx=1, 4xx=50, other=3' }).settings.thresholds).toEqual({
      critical: 1,
      warning: 50,
      other: 3,
    })
  })

  it('reads resolve-after as a duration; 0 resolves on the first clean window', () => {
    expect(settingsFrom({ ...minimal, 'resolve-after': '30m' }).settings.resolveAfterSeconds).toBe(1800)
    expect(settingsFrom({ ...minimal, 'resolve-after': '0' }).settings.resolveAfterSeconds).toBe(0)
    expect(settingsFrom({ ...minimal, realert: '0' }).settings.realertSeconds).toBe(0)
  })

  it('reads the state backend', () => {
    expect(settingsFrom({ ...minimal, state: 'file:/var/lib/watch/state.json' }).settings.state).toEqual({
      kind: 'file',
      path: '/var/lib/watch/state.json',
    })
    expect(settingsFrom({ ...minimal, state: 'none' }).settings.state).toEqual({ kind: 'none' })
  })

  // Issue 11: overlap at or past max-catch-up made four on-time runs post three false gap messages.
  it('refuses an overlap that max-catch-up leaves no room for, naming both inputs and the fix', () => {
    const error = errorFor({ ...minimal, overlap: '1h', 'max-catch-up': '1h' })
    expect(error.input).toBe('max-catch-up')
    expect(error.message).toBe(
      'Input "max-catch-up": 1h leaves no room for overlap (1h): a run reaches back overlap + query-delay + interval (1h6m), and scheduled runs start up to 10m late, so max-catch-up must be at least 1h16m; raise max-catch-up to 1h16m or more, or lower overlap to 44m or less.',
    )
    // Where even no overlap would not fit, the fix is in the other inputs.
    expect(errorFor({ ...minimal, interval: '55m' }).message).toContain(
      'raise max-catch-up to 1h8m or more, or shorten interval or query-delay.',
    )
  })

  it('accepts overlap up to max-catch-up less query-delay, interval and the lateness allowance', () => {
    const { settings } = settingsFrom({ ...minimal, overlap: '44m', 'max-catch-up': '1h' })
    expect(settings.overlapSeconds).toBe(44 * 60)
    expect(errorFor({ ...minimal, overlap: '44m1s', 'max-catch-up': '1h' }).message).toContain(
      'lower overlap to 44m or less',
    )
  })

  it('fails without a region anywhere, saying where to set it', () => {
    expect(errorFor({ 'log-group-names': '/a' }).message).toMatch(/aws-region.*AWS_REGION/)
  })

  it('never echoes a bad webhook URL, which is a secret', () => {
    const error = errorFor({ ...minimal, 'slack-webhook-url': 'not-a-url-but-SECRET' })
    expect(error.message).not.toContain('SECRET')
  })

  it.each([
    'http://hooks.slack.com/services/T0/B0/SECRET',
    'http://10.0.0.5:8080/services/T0/B0/SECRET',
    'http://localhost.evil.example/services/T0/B0/SECRET',
    'http://127.0.0.1.nip.io/services/T0/B0/SECRET',
  ])('refuses a plain-http webhook off loopback (%s), naming the input and https, not the secret', (url) => {
    const error = errorFor({
      ...minimal,
      'slack-webhook-url': `https://hooks.slack.com/services/T/B/OK\n${url}`,
    })
    expect(error.input).toBe('slack-webhook-url')
    expect(error.message).toMatch(/http:\/\/ URL .*only https:\/\/ is accepted/)
    expect(error.message).not.toContain('SECRET')
  })

  it.each([
    'http://127.0.0.1:4599/services/T0/B0/X',
    'http://127.1.2.3/services/T0/B0/X',
    'http://localhost:4599/services/T0/B0/X',
    'http://[::1]:4599/services/T0/B0/X',
    'http://[0:0:0:0:0:0:0:1]/services/T0/B0/X',
    'https://hooks.slack.com/services/T0/B0/X',
  ])('accepts https, and plain http to loopback (%s), which never leaves the machine', (url) => {
    expect(settingsFrom({ ...minimal, 'slack-webhook-url': url }).settings.slackWebhookUrls).toEqual([url])
  })
})

describe('readSettings: the incident card and record', () => {
  const token = 'xoxb-1234-5678-abcdefghijkl'

  it('reads the bot token (masked first) and the channels, by id or name, one per line', () => {
    const { settings, secrets } = settingsFrom({
      ...minimal,
      'slack-bot-token': token,
      'slack-channel': 'C0123ABCDEF\n#api-alerts',
      'reopen-within': '30m',
    })
    expect(settings.incidentCard).toEqual({ token, channels: ['C0123ABCDEF', '#api-alerts'] })
    expect(settings.reopenWithinSeconds).toBe(1800)
    expect(secrets[0]).toBe(token)
  })

  it('wants both the token and a channel, naming the missing one', () => {
    expect(errorFor({ ...minimal, 'slack-bot-token': token }).input).toBe('slack-channel')
    expect(errorFor({ ...minimal, 'slack-channel': '#alerts' }).input).toBe('slack-bot-token')
  })

  it('refuses a token that is not a bot token without echoing it', () => {
    const userToken = 'xoxp-9999-secret-user-token'
    const error = errorFor({ ...minimal, 'slack-bot-token': userToken, 'slack-channel': '#alerts' })
    expect(error.input).toBe('slack-bot-token')
    expect(error.message).toContain('xoxb-')
    expect(error.message).not.toContain(userToken)
  })

  it('refuses a channel that is neither an id nor a name', () => {
    const error = errorFor({ ...minimal, 'slack-bot-token': token, 'slack-channel': '#Alerts Room' })
    expect(error.input).toBe('slack-channel')
    expect(error.message).toContain('#Alerts Room')
  })

  it('github-issue takes the given token, else GITHUB_TOKEN, and the repository from GITHUB_REPOSITORY', () => {
    const env = { GITHUB_REPOSITORY: 'acme/api', GITHUB_TOKEN: 'ghs_fromenv' }
    const given = settingsFrom({ ...minimal, 'github-issue': 'true', 'github-token': 'ghp_given' }, env)
    expect(given.settings.githubIssue).toEqual({ token: 'ghp_given', repository: 'acme/api' })
    expect(given.secrets).toContain('ghp_given')
    // Outside Actions, action.yml's default arrives unexpanded.
    const fallback = settingsFrom(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: action.yml's expression, as written there
      { ...minimal, 'github-issue': 'true', 'github-token': '${{ github.token }}' },
      env,
    )
    expect(fallback.settings.githubIssue?.token).toBe('ghs_fromenv')
    expect(settingsFrom(minimal, env).settings.githubIssue).toBeUndefined()
    expect(errorFor({ ...minimal, 'github-issue': 'true' }, { GITHUB_TOKEN: 't' }).input).toBe('github-issue')
    expect(errorFor({ ...minimal, 'github-issue': 'true' }, { GITHUB_REPOSITORY: 'acme/api' }).input).toBe(
      'github-token',
    )
  })
})

describe('readSettings: github-token for the backtest’s pull request comment', () => {
  const env = { GITHUB_REPOSITORY: 'acme/api', GITHUB_TOKEN: 'ghs_fromenv' }

  it('is read (and masked) with backtest and pr-comment, the same way github-issue reads it', () => {
    const given = settingsFrom({ ...minimal, backtest: '7d', 'github-token': 'ghp_given' }, env)
    expect(given.settings.githubToken).toBe('ghp_given')
    expect(given.secrets).toContain('ghp_given')
    // biome-ignore lint/suspicious/noTemplateCurlyInString: action.yml's expression, as written there
    const fallback = settingsFrom({ ...minimal, backtest: '7d', 'github-token': '${{ github.token }}' }, env)
    expect(fallback.settings.githubToken).toBe('ghs_fromenv')
    expect(fallback.secrets).toContain('ghs_fromenv')
  })

  it('is not read without a backtest, or with pr-comment: false; none is no error (nothing may be posted)', () => {
    expect(
      settingsFrom({ ...minimal, 'github-token': 'ghp_given' }, env).settings.githubToken,
    ).toBeUndefined()
    const off = settingsFrom(
      { ...minimal, backtest: '7d', 'pr-comment': 'false', 'github-token': 'ghp_x' },
      env,
    )
    expect(off.settings.githubToken).toBeUndefined()
    expect(off.secrets).not.toContain('ghp_x')
    expect(settingsFrom({ ...minimal, backtest: '7d' }, {}).settings.githubToken).toBeUndefined()
  })
})

describe('readSettings: price-per-gb', () => {
  it('reads a decimal price and refuses anything else, naming the input', () => {
    expect(settingsFrom({ ...minimal, 'price-per-gb': '0.0076' }).settings.pricePerGb).toBe(0.0076)
    for (const bad of ['$0.005', '-1', '5e-3', 'free']) {
      const error = errorFor({ ...minimal, 'price-per-gb': bad })
      expect(error.input).toBe('price-per-gb')
      expect(error.message).toContain('0.005')
    }
  })
})

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['5m', 300],
    ['1h', 3600],
    ['1h30m', 5400],
    ['2d', 172_800],
    ['0', 0],
    [' 10M ', 600],
  ])('reads %s as %d seconds', (text, seconds) => {
    expect(parseDuration('interval', text, { min: 0 })).toBe(seconds)
  })
})

describe('new-signatures and its inputs', () => {
  it('is off by default; on, it takes the defaults of action.yml', () => {
    expect(settingsFrom(minimal).settings.signatures).toBeUndefined()
    expect(settingsFrom({ ...minimal, 'new-signatures': 'true' }).settings.signatures).toEqual({
      fields: ['status', 'httpMethod', 'resourcePath', 'routeKey'],
      memorySeconds: 7 * 86_400,
      threshold: 3,
    })
  })

  it('refuses bad values naming the input, even while it is off', () => {
    expect(errorFor({ ...minimal, 'new-signatures': 'yes' }).message).toMatch(
      /^Input "new-signatures": "yes" is not a boolean/,
    )
    expect(errorFor({ ...minimal, 'signature-memory': '7' }).message).toMatch(
      /^Input "signature-memory": "7" is not a duration/,
    )
    expect(errorFor({ ...minimal, 'signature-memory': '31d' }).message).toMatch(
      /^Input "signature-memory": "31d" is out of range/,
    )
    expect(errorFor({ ...minimal, 'new-signature-threshold': '0' }).message).toMatch(
      /^Input "new-signature-threshold": 0 is out of range/,
    )
    expect(errorFor({ ...minimal, 'new-signatures': 'true', 'signature-fields': ' , ' }).message).toMatch(
      /^Input "signature-fields": is empty, and new-signatures is true/,
    )
  })
})

describe('rate-thresholds, min-requests and baseline', () => {
  it('reads percentages as shares, with the routes from group-by, and drops the default absolute thresholds', () => {
    const { settings } = settingsFrom({ ...minimal, 'rate-thresholds': '5xx=1%, 4xx=12.5%' })
    expect(settings.rates).toEqual({
      thresholds: { critical: 0.01, warning: 0.125 },
      minRequests: 100,
      routeFields: ['httpMethod', 'resourcePath', 'routeKey'],
    })
    // One 5xx in a million requests must not alert a monitor that asked for rates.
    expect(settings.thresholds).toEqual({})
  })

  it('keeps absolute thresholds the workflow sets beside the rates', () => {
    const { settings } = settingsFrom({
      ...minimal,
      'rate-thresholds': '5xx=0.5%',
      thresholds: '5xx=10',
      'min-requests': '1000',
    })
    expect(settings.thresholds).toEqual({ critical: 10 })
    expect(settings.rates?.minRequests).toBe(1000)
  })

  it('names no route without a path field in group-by', () => {
    expect(
      settingsFrom({ ...minimal, 'rate-thresholds': '5xx=1%', 'group-by': 'status, httpMethod' }).settings
        .rates?.routeFields,
    ).toEqual([])
    expect(
      settingsFrom({ ...minimal, 'rate-thresholds': '5xx=1%', 'group-by': 'routeKey, status' }).settings.rates
        ?.routeFields,
    ).toEqual(['routeKey'])
  })

  it('takes baseline as a duration, or none', () => {
    expect(settingsFrom({ ...minimal, baseline: '1d' }).settings.baselineSeconds).toBe(86_400)
    expect(settingsFrom({ ...minimal, baseline: 'none' }).settings.baselineSeconds).toBeUndefined()
  })

  it.each([
    [
      { 'rate-thresholds': '5xx=1' },
      /^Input "rate-thresholds": "5xx=1" is not a rate threshold; use percentages/,
    ],
    [{ 'rate-thresholds': '5xx=0%' }, /^Input "rate-thresholds": 0% is out of range/],
    [{ 'rate-thresholds': '5xx=150%' }, /^Input "rate-thresholds": 150% is out of range/],
    [{ 'rate-thresholds': '5xx=1%, 5xx=2%' }, /^Input "rate-thresholds": 5xx is given twice/],
    [{ 'rate-thresholds': ' , ' }, /^Input "rate-thresholds": is empty/],
    [{ 'min-requests': '0' }, /^Input "min-requests": 0 is out of range/],
    [{ baseline: 'week' }, /^Input "baseline": "week" is not a duration/],
    [{ baseline: '10m' }, /^Input "baseline": "10m" is out of range/],
  ])('refuses %o naming the input and the fix', (inputs, message) => {
    expect(errorFor({ ...minimal, ...inputs }).message).toMatch(message)
  })
})

describe('readSettings: log-group-prefixes', () => {
  const A = '111122223333'
  const prefixes = { 'aws-region': 'eu-west-1', 'log-group-prefixes': '/aws/apigateway/' }

  it('takes prefixes alone, without log-group-names', () => {
    const { settings } = settingsFrom({ ...prefixes, 'source-accounts': A })
    expect(settings).toMatchObject({
      logGroups: [],
      logGroupPrefixes: ['/aws/apigateway/'],
      sourceAccounts: [A],
    })
  })

  it.each(['SQL', 'PPL'])(
    'refuses prefixes with query-language %s: SOURCE is Logs Insights QL only',
    (language) => {
      const error = errorFor({
        ...prefixes,
        'query-language': language,
        query: language === 'SQL' ? 'SELECT `@timestamp` FROM `x`' : 'fields `@timestamp`',
      })
      expect(error.input).toBe('log-group-prefixes')
      expect(error.message).toContain(`query-language is ${language}`)
      expect(error.message).toContain('query-language: CWLI')
    },
  )

  it('refuses a named group a prefix already selects, naming both', () => {
    const error = errorFor({ ...prefixes, 'log-group-names': '/other/x\n/aws/apigateway/prod' })
    expect(error.input).toBe('log-group-names')
    expect(error.message).toContain(
      '/aws/apigateway/prod, which the prefix /aws/apigateway/ in log-group-prefixes already selects',
    )
    expect(error.message).toContain('reported twice')
  })

  it("takes a named group of an account the prefixes' source-accounts leave out", () => {
    const other = 'arn:aws:logs:eu-west-1:999988887777:log-group:/aws/apigateway/prod'
    const { settings } = settingsFrom({ ...prefixes, 'source-accounts': A, 'log-group-names': other })
    expect(settings.logGroups).toEqual([other])
    const inside = errorFor({
      ...prefixes,
      'source-accounts': A,
      'log-group-names': `arn:aws:logs:eu-west-1:${A}:log-group:/aws/apigateway/prod`,
    })
    expect(inside.input).toBe('log-group-names')
  })

  it('refuses a query with its own SOURCE command beside prefixes', () => {
    const error = errorFor({ ...prefixes, query: "SOURCE logGroups(namePrefix: ['/x']) | fields @timestamp" })
    expect(error.input).toBe('query')
    expect(error.message).toContain('remove the SOURCE command')
  })

  it('refuses a query with a SOURCE command beside log-group-names, pointing to log-group-prefixes', () => {
    const error = errorFor({ ...minimal, query: "SOURCE logGroups(namePrefix: ['/x']) | fields @timestamp" })
    expect(error.input).toBe('query')
    expect(error.message).toContain('give its prefixes in log-group-prefixes')
  })
})
