/**
 * Every input, read, parsed and validated once, before any network call. The rest of the code
 * takes a `Settings` and never reads an input itself.
 */

import type { Thresholds } from './alerting.js'
import { SettingsError } from './errors.js'
import { DURATION_UNITS, formatDuration } from './format.js'
import { INPUTS, type InputName } from './inputs.js'
import { checkQuery } from './insights/query-check.js'
import { hasSourceCommand, sourceLabels, sourceSelects } from './insights/source.js'
import type { LogGroupSource, QueryLanguage } from './insights/types.js'
import { type RateSettings, routeFieldsOf } from './rates.js'
import type { SignatureSettings } from './signatures.js'

/** Where the checkpoint lives between runs (the `state` input). */
type StateSetting = { kind: 'actions-cache' } | { kind: 'file'; path: string } | { kind: 'none' }

export interface Settings {
  /** Log group names or ARNs (an ARN's trailing `:*` removed), without duplicates. */
  logGroups: string[]
  /**
   * `log-group-prefixes`: name prefixes (at most 5) queried through `SOURCE logGroups(namePrefix: …)`;
   * empty when the groups are named one by one.
   */
  logGroupPrefixes: string[]
  /** `source-accounts`: SOURCE's `accountIdentifiers` (12-digit ids); empty = every linked account. */
  sourceAccounts: string[]
  region: string
  /** IAM role assumed with the workflow's OIDC token; absent = the default credential chain. */
  roleToAssume?: string
  roleSessionName: string
  roleDurationSeconds: number
  /** OIDC audience the token is requested for. */
  audience: string
  query: string
  queryLanguage: QueryLanguage
  /** Window length when there is no checkpoint. */
  intervalSeconds: number
  /** How far behind the clock the window ends (ingestion lag). */
  queryDelaySeconds: number
  /** The tail of the last window checked again; entries already reported are dropped. */
  overlapSeconds: number
  /** How far back from now a run reaches after missed runs; older stretches are reported as gaps. */
  maxCatchUpSeconds: number
  state: StateSetting
  /** Per query; the query is stopped when it runs out. */
  queryTimeoutMs: number
  /** Rows fetched per run at most. */
  maxResults: number
  /** Label in messages and the summary. */
  monitorName: string
  /** Incoming-webhook URLs; empty = summary only. Masked as soon as they are read. */
  slackWebhookUrls: string[]
  /** The field whose value decides severity (5xx critical, 4xx warning). */
  statusField: string
  /** Fields to break counts down by. */
  groupBy: string[]
  /** Sample entries shown in the message. */
  maxSamples: number
  /** Absolute thresholds; empty (none set) when only `rate-thresholds` is. */
  thresholds: Thresholds
  /** `rate-thresholds`: error rates among all requests, with a traffic floor; absent when not set. */
  rates?: RateSettings
  /** `baseline`: how far back the same window is compared (7 days); absent with `baseline: none`. */
  baselineSeconds?: number
  /** Slack mention syntax (`<!here>`, `<@U012AB3CD>`) added when a critical alert fires; '' for none. */
  mention: string
  /**
   * Quiet period of an alerting episode after each of its alerts; 0 = every alerting window posts.
   * A 5xx in an episode that so far alerted only for 4xx posts at once.
   */
  realertSeconds: number
  /**
   * How long the timeline checked after an episode's last alerting window must stay below the
   * thresholds before the episode is resolved (window time); 0 = the first window below them.
   */
  resolveAfterSeconds: number
  /** `new-signatures`: error signatures not seen within their memory are called out; absent when off. */
  signatures?: SignatureSettings
  notifyResolved: boolean
  notifyOnError: boolean
  failOnMatch: boolean
  dryRun: boolean
  /** Logs Insights' price per GB scanned (US dollars), for the cost in the job summary. */
  pricePerGb: number
  /** Bot-token mode: one card per incident and channel, edited in place, with a thread (masked token). */
  incidentCard?: { token: string; channels: string[] }
  /** A recurrence within this long after an incident resolved reopens it. */
  reopenWithinSeconds: number
  /** `github-issue`: each incident recorded as an issue of `repository` (owner/name). */
  githubIssue?: { token: string; repository: string }
  /** `backtest`: the past period replayed instead of watching; absent = watch. */
  backtestSeconds?: number
  /** `pr-comment`: a backtest on a pull_request run is posted as one PR comment. */
  prComment: boolean
  /** A rule of a rules file (rules/rule-settings.ts): its key, for the files it writes; absent otherwise. */
  ruleKey?: string
  /** `github-token` (masked), for the backtest's PR comment: read with `backtest` and `pr-comment`; absent when none is there. */
  githubToken?: string
}

export interface SettingsSources {
  /** Reads one input as the runner passes it (core.getInput). */
  getInput: (name: string) => string
  /** Hides a value from the log (core.setSecret). */
  setSecret: (value: string) => void
  env: Record<string, string | undefined>
}

/** StartQuery's `queryString` limit. */
const MAX_QUERY_LENGTH = 10_000
/** StartQuery runs at most 60 minutes before the service times it out. */
const MAX_QUERY_TIMEOUT_SECONDS = 60 * 60
/** StartQuery `limit` and GetQueryResults pagination stop at 100,000 rows. */
const MAX_RESULTS = 100_000
/** One Slack message holds at most 50 blocks; samples beyond this could not be shown. */
const MAX_SAMPLES = 20

export function readSettings({ getInput, setSecret, env }: SettingsSources): Settings {
  /** The input as the workflow gave it, trimmed. */
  const given = (name: InputName): string => getInput(name).trim()
  /** The input, or its default (inputs.ts) when given empty; '' for an empty input without one. */
  const input = (name: InputName): string => given(name) || (INPUTS[name].default ?? '')

  const incident = readIncidentSettings(input, setSecret, env)
  const slackWebhookUrls = parseList(input('slack-webhook-url'), /\n/).map((url) => parseWebhookUrl(url))
  // Mask before anything else can print them, the path separately too (it is the secret part).
  for (const url of slackWebhookUrls) {
    setSecret(url)
    setSecret(new URL(url).pathname)
  }

  const logGroups = [...new Set(parseList(input('log-group-names')).map(parseLogGroup))]
  const logGroupPrefixes = parseLogGroupPrefixes(input('log-group-prefixes'))
  if (logGroups.length === 0 && logGroupPrefixes.length === 0) {
    throw new SettingsError(
      'log-group-names',
      'is required: give one or more log group names or ARNs, or name prefixes in log-group-prefixes.',
    )
  }

  const query = input('query')
  if (query.length > MAX_QUERY_LENGTH) {
    throw new SettingsError(
      'query',
      `is ${query.length} characters long; CloudWatch Logs Insights accepts at most ${MAX_QUERY_LENGTH}.`,
    )
  }

  const roleToAssume = input('role-to-assume')
  const settings: Settings = {
    logGroups,
    logGroupPrefixes,
    sourceAccounts: parseSourceAccounts(input('source-accounts'), logGroupPrefixes),
    region: parseRegion(input('aws-region') || env.AWS_REGION || env.AWS_DEFAULT_REGION || ''),
    roleSessionName: parseSessionName(input('role-session-name') || defaultSessionName(env)),
    roleDurationSeconds: parseInteger('role-duration-seconds', input('role-duration-seconds'), 900, 43_200),
    audience: input('audience'),
    query,
    queryLanguage: parseQueryLanguage(input('query-language')),
    intervalSeconds: parseDuration('interval', input('interval'), { min: 1 }),
    queryDelaySeconds: parseDuration('query-delay', input('query-delay'), { min: 0 }),
    overlapSeconds: parseDuration('overlap', input('overlap'), { min: 0 }),
    maxCatchUpSeconds: parseDuration('max-catch-up', input('max-catch-up'), { min: 1 }),
    state: parseState(input('state')),
    queryTimeoutMs:
      parseDuration('query-timeout', input('query-timeout'), { min: 1, max: MAX_QUERY_TIMEOUT_SECONDS }) *
      1000,
    maxResults: parseInteger('max-results', input('max-results'), 1, MAX_RESULTS),
    monitorName: input('monitor-name') || defaultMonitorName(env),
    slackWebhookUrls,
    statusField: input('status-field'),
    groupBy: parseList(input('group-by')),
    maxSamples: parseInteger('max-samples', input('max-samples'), 0, MAX_SAMPLES),
    ...readThresholds(input, given),
    mention: parseMention(input('mention')),
    realertSeconds: parseDuration('realert', input('realert'), { min: 0 }),
    resolveAfterSeconds: parseDuration('resolve-after', input('resolve-after'), { min: 0 }),
    notifyResolved: parseBoolean('notify-resolved', input('notify-resolved')),
    notifyOnError: parseBoolean('notify-on-error', input('notify-on-error')),
    failOnMatch: parseBoolean('fail-on-match', input('fail-on-match')),
    dryRun: parseBoolean('dry-run', input('dry-run')),
    pricePerGb: parsePrice(input('price-per-gb')),
    prComment: parseBoolean('pr-comment', input('pr-comment')),
    ...incident,
  }
  const backtest = input('backtest')
  if (backtest)
    settings.backtestSeconds = parseDuration('backtest', backtest, { min: 3600, max: 14 * 86_400 })
  // No token is no error here: a backtest outside a pull_request run posts nothing (the poster says so).
  const githubToken = settings.prComment && backtest ? readGithubToken(input, setSecret, env) : ''
  if (githubToken) settings.githubToken = githubToken
  const signatures = readSignatureSettings(input)
  if (signatures) settings.signatures = signatures
  const baseline = input('baseline')
  if (baseline.toLowerCase() !== 'none')
    settings.baselineSeconds = parseDuration('baseline', baseline, { min: 3600 })
  if (roleToAssume) settings.roleToAssume = parseRoleArn(roleToAssume)
  if (settings.queryLanguage !== 'CWLI' && !given('query')) {
    // The default query is Logs Insights QL: a SQL or PPL monitor must bring its own.
    throw new SettingsError(
      'query-language',
      `is ${settings.queryLanguage}, but no query is set and the default query is Logs Insights QL; write the ${settings.queryLanguage} query in the query input, or leave query-language at CWLI.`,
    )
  }
  // Before checkQuery: a SQL query's FROM is checked against log-group-names, which prefixes leave empty.
  checkLogGroupSource(settings)
  checkQuery(settings.query, settings.queryLanguage, settings.logGroups)
  checkCatchUpRoom(settings)
  return settings
}

/** What `log-group-prefixes` and `source-accounts` select; undefined without prefixes. */
export function logGroupSource(
  settings: Pick<Settings, 'logGroupPrefixes' | 'sourceAccounts'>,
): LogGroupSource | undefined {
  if (settings.logGroupPrefixes.length === 0) return undefined
  return { prefixes: settings.logGroupPrefixes, accounts: settings.sourceAccounts }
}

/**
 * Every log group a run checks, as shown in the summary and Slack: one label per prefix, then the
 * names in log-group-names.
 */
export function shownLogGroups(
  settings: Pick<Settings, 'logGroups' | 'logGroupPrefixes' | 'sourceAccounts'>,
): string[] {
  const source = logGroupSource(settings)
  // Prefixes first: a long list of names is cut short where it is shown, and they cover the most.
  return source ? [...sourceLabels(source), ...settings.logGroups] : settings.logGroups
}

/** A price per GB: a plain decimal number of US dollars, as AWS's price list writes it. */
function parsePrice(text: string): number {
  const price = /^\d{1,4}(\.\d{1,6})?$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isFinite(price)) {
    throw new SettingsError(
      'price-per-gb',
      `"${text}" is not a price: give US dollars per GB scanned as a decimal number, such as 0.005 (Logs Insights in us-east-1) or your region's price.`,
    )
  }
  return price
}

/**
 * `new-signatures` and its three inputs, each checked even while it is off (a typo is refused before
 * the day someone turns it on); undefined when off.
 */
function readSignatureSettings(input: (name: InputName) => string): SignatureSettings | undefined {
  const fields = parseList(input('signature-fields'))
  const memorySeconds = parseDuration('signature-memory', input('signature-memory'), { min: 60 })
  const threshold = parseInteger('new-signature-threshold', input('new-signature-threshold'), 1, 1_000_000)
  if (!parseBoolean('new-signatures', input('new-signatures'))) return undefined
  if (fields.length === 0) {
    throw new SettingsError(
      'signature-fields',
      'is empty, and new-signatures is true: give the fields a signature is made of, like status, httpMethod, resourcePath.',
    )
  }
  return { fields, memorySeconds, threshold }
}

/** Slack channel ids (`C…` public, `G…` private, `D…` direct) and names (lowercase, at most 80). */
const CHANNEL_ID = /^[CGD][A-Z0-9]{8,}$/
const CHANNEL_NAME = /^#?[a-z0-9][a-z0-9._-]{0,79}$/

/** The incident card (`slack-bot-token`, `slack-channel`) and record (`github-issue`); tokens masked first. */
function readIncidentSettings(
  input: (name: InputName) => string,
  setSecret: (value: string) => void,
  env: Record<string, string | undefined>,
): Pick<Settings, 'incidentCard' | 'reopenWithinSeconds' | 'githubIssue'> {
  const token = input('slack-bot-token')
  if (token) setSecret(token)
  const channels = parseList(input('slack-channel'), /[\n,]/)
  const settings: Pick<Settings, 'incidentCard' | 'reopenWithinSeconds' | 'githubIssue'> = {
    reopenWithinSeconds: parseDuration('reopen-within', input('reopen-within'), { min: 0 }),
  }
  if (token || channels.length > 0)
    settings.incidentCard = { token: parseBotToken(token, channels), channels }
  if (parseBoolean('github-issue', input('github-issue')))
    settings.githubIssue = readGithubIssue(input, setSecret, env)
  return settings
}

function parseBotToken(token: string, channels: readonly string[]): string {
  if (!token) {
    throw new SettingsError(
      'slack-bot-token',
      'is required with slack-channel: give a Slack bot token (xoxb-…) as a secret, or remove slack-channel.',
    )
  }
  // Never echoed: a token of another kind is still a secret.
  if (!token.startsWith('xoxb-')) {
    throw new SettingsError(
      'slack-bot-token',
      "is not a bot token: it must start with xoxb- (the app's Bot User OAuth Token under OAuth & Permissions), not a user (xoxp-) or app-level (xapp-) token.",
    )
  }
  if (channels.length === 0) {
    throw new SettingsError(
      'slack-channel',
      'is required with slack-bot-token: give one or more channel ids (C0123ABCDEF) or names (#alerts), one per line.',
    )
  }
  for (const channel of channels) {
    if (!CHANNEL_ID.test(channel) && !CHANNEL_NAME.test(channel)) {
      throw new SettingsError(
        'slack-channel',
        `"${channel}" is neither a channel id (C0123ABCDEF) nor a channel name (#alerts: lowercase letters, digits, - _ and ., at most 80).`,
      )
    }
  }
  return token
}

function readGithubIssue(
  input: (name: InputName) => string,
  setSecret: (value: string) => void,
  env: Record<string, string | undefined>,
): { token: string; repository: string } {
  const token = readGithubToken(input, setSecret, env)
  if (!token) {
    throw new SettingsError(
      'github-token',
      'is empty, and github-issue is true: pass a token with issues: write, or leave github-token unset on a runner (the workflow token is used).',
    )
  }
  const repository = env.GITHUB_REPOSITORY ?? ''
  if (!/^[^/\s]+\/[^/\s]+$/.test(repository)) {
    throw new SettingsError(
      'github-issue',
      'is true, but GITHUB_REPOSITORY (owner/name, set by the runner) is not: the issue has no repository to go to.',
    )
  }
  return { token, repository }
}

/** `github-token`, masked; else GITHUB_TOKEN; '' when neither is there. */
function readGithubToken(
  input: (name: InputName) => string,
  setSecret: (value: string) => void,
  env: Record<string, string | undefined>,
): string {
  // The runner expands action.yml's `${{ github.token }}`; outside Actions the default arrives as written.
  const given = input('github-token')
  const token = given && !given.startsWith('${{') ? given : (env.GITHUB_TOKEN ?? '')
  if (token) setSecret(token)
  return token
}

/**
 * How late a scheduled run may start and still check the whole overlap again. GitHub documents that
 * the `schedule` event "can be delayed during periods of high loads" (the start of every hour among
 * them); runs minutes late are the norm, not a fault (design.md).
 */
export const CRON_LATENESS_ALLOWANCE_SECONDS = 10 * 60

/**
 * A run reaches back to the previous run's end less overlap: on time, a run's cadence after the
 * previous one, plus query-delay and overlap. The cadence is not known in advance, only the one
 * expected (`interval`), and GitHub's cron is late by minutes, so max-catch-up must cover
 * overlap + query-delay + interval + the lateness allowance. Below that, runs on time or a little
 * late could never check their overlap again, and a max-catch-up shorter than interval + query-delay
 * could not even hold a first window. Refused here, before any network call, naming every input in it.
 */
function checkCatchUpRoom(settings: Settings): void {
  const { maxCatchUpSeconds, overlapSeconds, queryDelaySeconds, intervalSeconds } = settings
  const needed = overlapSeconds + queryDelaySeconds + intervalSeconds + CRON_LATENESS_ALLOWANCE_SECONDS
  if (maxCatchUpSeconds >= needed) return
  const lowerOverlap = overlapSeconds - (needed - maxCatchUpSeconds)
  const fixes = [`raise max-catch-up to ${formatDuration(needed)} or more`]
  if (lowerOverlap >= 0) fixes.push(`lower overlap to ${formatDuration(lowerOverlap)} or less`)
  else fixes.push('shorten interval or query-delay')
  throw new SettingsError(
    'max-catch-up',
    `${formatDuration(maxCatchUpSeconds)} leaves no room for overlap (${formatDuration(overlapSeconds)}): a run reaches back overlap + query-delay + interval (${formatDuration(needed - CRON_LATENESS_ALLOWANCE_SECONDS)}), and scheduled runs start up to ${formatDuration(CRON_LATENESS_ALLOWANCE_SECONDS)} late, so max-catch-up must be at least ${formatDuration(needed)}; ${fixes.join(', or ')}.`,
  )
}

const THRESHOLD_KEYS: Record<string, keyof Thresholds> = {
  total: 'total',
  all: 'total',
  '5xx': 'critical',
  '4xx': 'warning',
  other: 'other',
}

/** `1` (overall), or per severity: `5xx=1, 4xx=50` (and `other=…`, `total=…`). */
function parseThresholds(text: string): Thresholds {
  const accepted =
    'use a whole number (like 1), or per severity like 5xx=1, 4xx=20 (also other=N for entries without a 4xx/5xx status, total=N for all)'
  if (/^\d+$/.test(text)) return { total: parseInteger('thresholds', text, 1, 1_000_000) }
  const thresholds: Thresholds = {}
  for (const item of parseList(text)) {
    const match = /^([^=\s]+)\s*=\s*(\S+)$/.exec(item)
    const key = match ? THRESHOLD_KEYS[(match[1] as string).toLowerCase()] : undefined
    if (!match || !key) throw new SettingsError('thresholds', `"${item}" is not a threshold; ${accepted}.`)
    if (thresholds[key] !== undefined) throw new SettingsError('thresholds', `${match[1]} is given twice.`)
    thresholds[key] = parseInteger('thresholds', match[2] as string, 1, 1_000_000)
  }
  if (Object.keys(thresholds).length === 0) throw new SettingsError('thresholds', `is empty; ${accepted}.`)
  return thresholds
}

/**
 * The default thresholds, when `rate-thresholds` is not set. With it, only the absolute thresholds the
 * workflow gives apply: one 5xx in a million requests must not alert a monitor that asked for rates.
 */
const DEFAULT_THRESHOLDS = '5xx=1, 4xx=50, other=1'

function readThresholds(
  input: (name: InputName) => string,
  given: (name: InputName) => string,
): Pick<Settings, 'thresholds' | 'rates'> {
  const minRequests = parseInteger('min-requests', input('min-requests'), 1, 1_000_000_000)
  const rateText = input('rate-thresholds')
  const absolute = given('thresholds')
  if (rateText === '') return { thresholds: parseThresholds(absolute || DEFAULT_THRESHOLDS) }
  const rates: RateSettings = {
    thresholds: parseRateThresholds(rateText),
    minRequests,
    routeFields: routeFieldsOf(parseList(input('group-by'))),
  }
  return { thresholds: absolute ? parseThresholds(absolute) : {}, rates }
}

/** `5xx=1%, 4xx=10%` (and `other=…`, `total=…`): shares from 0.0001% to 100%, as fractions. */
function parseRateThresholds(text: string): Thresholds {
  const accepted =
    'use percentages per severity like 5xx=1%, 4xx=10% (also other=N% for entries without a 4xx/5xx status, total=N% for all)'
  const rates: Thresholds = {}
  for (const item of parseList(text)) {
    const match = /^([^=\s]+)\s*=\s*(\d{1,3}(?:\.\d{1,4})?)\s*%$/.exec(item)
    const key = match ? THRESHOLD_KEYS[(match[1] as string).toLowerCase()] : undefined
    if (!match || !key)
      throw new SettingsError('rate-thresholds', `"${item}" is not a rate threshold; ${accepted}.`)
    if (rates[key] !== undefined) throw new SettingsError('rate-thresholds', `${match[1]} is given twice.`)
    const percent = Number(match[2])
    if (percent <= 0 || percent > 100)
      throw new SettingsError(
        'rate-thresholds',
        `${match[2]}% is out of range; use a share above 0% and at most 100%.`,
      )
    rates[key] = percent / 100
  }
  if (Object.keys(rates).length === 0) throw new SettingsError('rate-thresholds', `is empty; ${accepted}.`)
  return rates
}

/** One or more Slack mentions: `<!here>`, `<!channel>`, `<!everyone>`, `<@U…>`, `<!subteam^S…>`. */
function parseMention(text: string): string {
  if (text === '') return ''
  const mention = /<(?:!here|!channel|!everyone|@[UW][A-Z0-9]+|!subteam\^[A-Z0-9]+)>/
  if (!new RegExp(`^${mention.source}(\\s+${mention.source})*$`).test(text)) {
    throw new SettingsError(
      'mention',
      `"${text}" is not Slack mention syntax; use <!here>, <!channel>, <@U012AB3CD> (a member id) or <!subteam^S012AB3CD> (a user group), separated by spaces.`,
    )
  }
  return text
}

function parseState(text: string): StateSetting {
  if (text === 'actions-cache' || text === 'none') return { kind: text }
  if (text.startsWith('file:') && text.length > 'file:'.length)
    return { kind: 'file', path: text.slice('file:'.length) }
  throw new SettingsError(
    'state',
    `"${text}" is not a state backend; use actions-cache, file:<path> or none.`,
  )
}

/** Items separated by newlines or commas (or only newlines), trimmed, empty ones dropped. */
export function parseList(text: string, separator: RegExp = /[\n,]/): string[] {
  return text
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/**
 * No duration input needs more than 30 days: CloudWatch Logs refuses events older than 14 days, and
 * the cap keeps window arithmetic on safe integers and valid dates.
 */
const MAX_DURATION_SECONDS = 30 * 86_400

/**
 * A duration such as `90s`, `5m`, `1h` or `1h30m`, in whole seconds. A bare `0` means none; any
 * other bare number is refused, because `5` could mean seconds or minutes.
 */
export function parseDuration(name: InputName, text: string, limits: { min: number; max?: number }): number {
  const value = text.trim().toLowerCase()
  const accepted = 'use a whole number with a unit s, m, h or d, like 90s, 5m, 1h or 1h30m'
  let seconds: number
  if (value === '0') {
    seconds = 0
  } else if (/^(\d+[smhd])+$/.test(value)) {
    seconds = 0
    for (const [, amount, unit] of value.matchAll(/(\d+)([smhd])/g)) {
      seconds += Number(amount) * (DURATION_UNITS[unit as string] as number)
    }
  } else {
    throw new SettingsError(name, `"${text}" is not a duration; ${accepted}.`)
  }
  const max = limits.max ?? MAX_DURATION_SECONDS
  if (seconds < limits.min || seconds > max) {
    const range = `between ${formatDuration(limits.min)} and ${formatDuration(max)}`
    throw new SettingsError(name, `"${text}" is out of range; it must be ${range}.`)
  }
  return seconds
}

function parseBoolean(name: InputName, text: string): boolean {
  // The YAML 1.2 core schema spellings, as core.getBooleanInput accepts them.
  if (['true', 'True', 'TRUE'].includes(text)) return true
  if (['false', 'False', 'FALSE'].includes(text)) return false
  throw new SettingsError(name, `"${text}" is not a boolean; use true or false.`)
}

function parseInteger(name: InputName, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text)) {
    throw new SettingsError(name, `"${text}" is not a whole number; use one from ${min} to ${max}.`)
  }
  const value = Number(text)
  if (value < min || value > max) {
    throw new SettingsError(name, `${value} is out of range; use a whole number from ${min} to ${max}.`)
  }
  return value
}

function parseRegion(text: string): string {
  if (text === '') {
    throw new SettingsError(
      'aws-region',
      'is required: set it, or the AWS_REGION environment variable (e.g. eu-west-1).',
    )
  }
  // Partition prefixes such as us-gov- and cn- included; names are lower case, ending in a number.
  if (!/^[a-z]{2,}(-[a-z]+)+-\d+$/.test(text)) {
    throw new SettingsError(
      'aws-region',
      `"${text}" is not an AWS region name; use one like eu-west-1 or us-gov-west-1.`,
    )
  }
  return text
}

function parseRoleArn(text: string): string {
  if (!/^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/.test(text)) {
    throw new SettingsError(
      'role-to-assume',
      `"${text}" is not an IAM role ARN; use arn:aws:iam::<12-digit account id>:role/<role name>.`,
    )
  }
  return text
}

/** STS accepts 2–64 characters of `[\w+=,.@-]` as a session name. */
function parseSessionName(text: string): string {
  if (!/^[\w+=,.@-]{2,64}$/.test(text)) {
    throw new SettingsError(
      'role-session-name',
      `"${text}" is not a valid session name; use 2 to 64 letters, digits or any of _+=,.@-`,
    )
  }
  return text
}

function parseQueryLanguage(text: string): QueryLanguage {
  const upper = text.toUpperCase()
  if (upper === 'CWLI' || upper === 'SQL' || upper === 'PPL') return upper
  throw new SettingsError('query-language', `"${text}" is not a query language; use CWLI, SQL or PPL.`)
}

/** SOURCE's `namePrefix` takes at most five prefixes (SOURCE command doc). */
const MAX_PREFIXES = 5
/** SOURCE's `accountIdentifiers` takes at most twenty accounts (SOURCE command doc). */
const MAX_SOURCE_ACCOUNTS = 20

function parseLogGroupPrefixes(text: string): string[] {
  const prefixes = [...new Set(parseList(text))]
  if (prefixes.length > MAX_PREFIXES) {
    throw new SettingsError(
      'log-group-prefixes',
      `has ${prefixes.length} prefixes; Logs Insights' SOURCE takes at most ${MAX_PREFIXES}: use shorter prefixes that cover more groups, or split the monitor into rules.`,
    )
  }
  for (const prefix of prefixes) {
    if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(prefix)) {
      throw new SettingsError(
        'log-group-prefixes',
        `"${prefix}" is not a log group name prefix; use the start of a name (letters, digits and . - _ / #), like /aws/apigateway/.`,
      )
    }
  }
  return prefixes
}

/**
 * Prefixes go into a SOURCE command, which only Logs Insights QL has; and a group both named and
 * matched by a prefix would be queried twice and each of its entries reported twice.
 */
function checkLogGroupSource(settings: Settings): void {
  const source = logGroupSource(settings)
  if (!source) {
    if (settings.queryLanguage === 'CWLI' && hasSourceCommand(settings.query)) {
      throw new SettingsError(
        'query',
        'starts with a SOURCE command, which StartQuery does not take beside the log groups in log-group-names; remove it and give its prefixes in log-group-prefixes (and its accounts in source-accounts): the action writes the SOURCE command itself.',
      )
    }
    return
  }
  if (settings.queryLanguage !== 'CWLI') {
    throw new SettingsError(
      'log-group-prefixes',
      `selects log groups with Logs Insights' SOURCE command, which only Logs Insights QL has, and query-language is ${settings.queryLanguage}; name the log groups in log-group-names, or write the query in Logs Insights QL (query-language: CWLI).`,
    )
  }
  if (hasSourceCommand(settings.query)) {
    throw new SettingsError(
      'query',
      'starts with its own SOURCE command, and log-group-prefixes gives the action one too (a query has at most one); remove the SOURCE command from the query and keep the prefixes in log-group-prefixes and source-accounts.',
    )
  }
  for (const group of settings.logGroups) {
    const prefix = source.prefixes.find((p) => sourceSelects({ ...source, prefixes: [p] }, group))
    if (prefix !== undefined) {
      throw new SettingsError(
        'log-group-names',
        `names ${group}, which the prefix ${prefix} in log-group-prefixes already selects: it would be queried and each of its entries reported twice. Remove ${group} from log-group-names (the prefix covers it), or narrow the prefix.`,
      )
    }
  }
}

function parseSourceAccounts(text: string, prefixes: readonly string[]): string[] {
  const accounts = [...new Set(parseList(text))]
  if (accounts.length === 0) return accounts
  if (prefixes.length === 0) {
    throw new SettingsError(
      'source-accounts',
      "is set without log-group-prefixes: it picks the accounts the prefixes are looked up in; give log-group-prefixes, or name other accounts' groups by ARN in log-group-names.",
    )
  }
  if (accounts.length > MAX_SOURCE_ACCOUNTS) {
    throw new SettingsError(
      'source-accounts',
      `has ${accounts.length} accounts; Logs Insights' SOURCE takes at most ${MAX_SOURCE_ACCOUNTS}. Leave it empty to query every linked account.`,
    )
  }
  for (const account of accounts) {
    if (!/^\d{12}$/.test(account))
      throw new SettingsError('source-accounts', `"${account}" is not an AWS account id; use 12 digits.`)
  }
  return accounts
}

/** A log group name (StartQuery's pattern, 1–512 characters) or a log group ARN. */
function parseLogGroup(text: string): string {
  const arn = /^arn:aws(-[a-z]+)*:logs:[a-z0-9-]+:\d{12}:log-group:([.\-_/#A-Za-z0-9]{1,512})(:\*)?$/.exec(
    text,
  )
  // StartQuery rejects the trailing `:*` that DescribeLogGroups puts on ARNs.
  if (arn) return arn[3] ? text.slice(0, -2) : text
  if (/^[.\-_/#A-Za-z0-9]{1,512}$/.test(text)) return text
  throw new SettingsError(
    'log-group-names',
    `"${text}" is not a log group name or ARN; names use letters, digits and . - _ / # (up to 512), ARNs look like arn:aws:logs:<region>:<account>:log-group:<name>.`,
  )
}

function parseWebhookUrl(text: string): string {
  let url: URL | undefined
  try {
    url = new URL(text)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    // Never echo the value: it is a secret.
    throw new SettingsError(
      'slack-webhook-url',
      'holds a value that is not an http(s) URL; give one incoming-webhook URL per line (https://hooks.slack.com/services/…).',
    )
  }
  // Over plain http the URL (the secret) and the log text in the message cross the network in clear.
  // Loopback never leaves the machine: a local relay, or the emulator.
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new SettingsError(
      'slack-webhook-url',
      `holds an http:// URL (host ${url.hostname}); the webhook URL is a secret and the message carries log text, so only https:// is accepted, or http:// to a loopback address (localhost, 127.0.0.1, [::1]). Use the https:// URL Slack gave you (https://hooks.slack.com/services/…).`,
    )
  }
  return text
}

/** `localhost`, 127.0.0.0/8 or `[::1]`, as the URL parser writes them (it normalises other spellings). */
function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname)
}

function defaultSessionName(env: Record<string, string | undefined>): string {
  return `insights-watch-${env.GITHUB_RUN_ID || 'local'}`
}

function defaultMonitorName(env: Record<string, string | undefined>): string {
  const parts = [env.GITHUB_WORKFLOW, env.GITHUB_JOB].filter((part): part is string => Boolean(part))
  return parts.length > 0 ? parts.join(' / ') : 'insights-watch'
}
