import { sourceLabels } from '../insights/source.js'
import type { LogGroupSource, QueryLanguage } from '../insights/types.js'

/**
 * A link that opens the CloudWatch Logs Insights console on the query a run made: same query text,
 * same log groups, same absolute window, same query language.
 *
 * The console keeps the whole query in the URL fragment, as a JSURL v1 text (Sage/jsurl
 * `lib/jsurl.js`) after `#logsV2:logs-insights$3FqueryDetail$3D`. Nothing here is a documented AWS
 * interface: the format is the one the console itself writes in its address bar and that public code
 * generates (shared/reference/aws-slack-facts.md §4).
 */

export interface ConsoleLinkInput {
  /** e.g. `eu-west-1`, `us-gov-west-1`, `cn-north-1`. */
  region: string
  /** Log group names or ARNs; an ARN's trailing `:*` is dropped. */
  logGroups: readonly string[]
  /** The Insights query text, exactly as sent to StartQuery. */
  query: string
  /** Epoch seconds, both ends inclusive, as sent to StartQuery. */
  window: { start: number; end: number }
  /** Omitted means Logs Insights QL, the only language before StartQuery gained `queryLanguage`. */
  queryLanguage?: QueryLanguage
  /**
   * Groups the run selected by prefix. The console takes no SOURCE command (it is API and CLI only)
   * and its URL has no documented prefix selection, so they are named in a comment on the query's
   * first line, for the person to select.
   */
  source?: LogGroupSource
}

/** The console on the monitor's own query and log groups, over `window`. */
export function monitorConsoleUrl(
  monitor: Omit<ConsoleLinkInput, 'window' | 'source'> & {
    logGroupPrefixes?: readonly string[]
    sourceAccounts?: readonly string[]
  },
  window: ConsoleLinkInput['window'],
): string {
  const { region, logGroups, query, queryLanguage, logGroupPrefixes = [], sourceAccounts = [] } = monitor
  return logsInsightsConsoleUrl({
    region,
    logGroups,
    query,
    window,
    ...(queryLanguage ? { queryLanguage } : {}),
    ...(logGroupPrefixes.length > 0
      ? { source: { prefixes: logGroupPrefixes, accounts: sourceAccounts } }
      : {}),
  })
}

/**
 * Why the single-encoded form (`…$3FqueryDetail$3D~(end~'…`) and not the console's "copy link" form
 * (`…$3FqueryDetail$3D$257E$2528end…`, the same JSURL text percent-encoded twice with `%` as `$`):
 * the single-encoded form is what the console writes in its own address bar (links copied from it,
 * with `queryId`, `lang`, `logClass` keys, are quoted in public code, e.g.
 * Pearcekieser/tampermonkey-scripts `aws/cw-insights/cw-lambda-deep-dive.user.js`), it is what most
 * public generators emit (remotion-dev/remotion `packages/lambda/src/shared/call-lambda-streaming.ts`;
 * Grafana emits the same JSURL text on the legacy `#logs-insights:queryDetail=` route), and the console
 * opens both. It is also the form a person can read and check in a Slack message. Reference §4.1.
 *
 * The `$XX` escapes of `?` and `=` stay unambiguous because the JSURL text below never holds `$` or `%`:
 * both are written `*XX`.
 */
const FRAGMENT_PREFIX = '#logsV2:logs-insights$3FqueryDetail$3D'

/**
 * `<partition-code>-<direction>-<n>`, e.g. `us-east-1`, `us-gov-west-1`, `cn-northwest-1`. The region
 * becomes part of the host name, so anything else is refused rather than put into a URL.
 */
const REGION = /^[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}$/

/**
 * The console URL for a Logs Insights query. Throws a RangeError for a region that is not an AWS region
 * name, or a window that is not whole epoch seconds with start ≤ end: the caller passes what it gave
 * StartQuery, so either is a bug, not something to link to.
 */
export function logsInsightsConsoleUrl(input: ConsoleLinkInput): string {
  const { region, window } = input
  if (!REGION.test(region)) throw new RangeError(`not an AWS region name: ${JSON.stringify(region)}`)
  if (!Number.isSafeInteger(window.start) || !Number.isSafeInteger(window.end) || window.start > window.end) {
    throw new RangeError(`not a window of epoch seconds: ${window.start}..${window.end}`)
  }
  // Key order as the console writes it: end, start, timeType, tz, editorString, source, lang
  // (console links quoted in public code, reference §4.1 items 2 and 5).
  const detail = jsurlObject([
    // The window is shown as [start, end], both the exact seconds given to StartQuery, not
    // [start, end + 1s): StartQuery takes whole seconds and documents endTime as inclusive, so the
    // console, which runs StartQuery too, gets back the very range the run queried (inference: how the
    // console converts the ISO times is not documented). The
    // console's own absolute ranges end the same way, on the last included second (`…04:59:59.000Z`
    // after a `…05:00:00.000Z` start in console links). An end of `end + 1` would add a second the run
    // did not count (it belongs to the next window); `.999Z` would depend on how the console rounds.
    ['end', jsurlString(isoTime(window.end))],
    ['start', jsurlString(isoTime(window.start))],
    ['timeType', jsurlString('ABSOLUTE')],
    // UTC so the times read the same for everyone on the channel and match the digest's times.
    ['tz', jsurlString('UTC')],
    ['editorString', jsurlString(input.source ? withPrefixNote(input.query, input.source) : input.query)],
    ['source', jsurlArray(input.logGroups.map((group) => jsurlString(logGroupSource(group))))],
    // Always set (console links since StartQuery gained `queryLanguage` carry it): left out, the console
    // might open on whichever language tab the person used last (inference, not verified).
    ['lang', jsurlString(input.queryLanguage ?? 'CWLI')],
  ])
  return `https://${consoleHost(region)}/cloudwatch/home?region=${region}${FRAGMENT_PREFIX}${detail}`
}

/** The query with a first-line comment naming the prefixes the run also checked. */
function withPrefixNote(query: string, source: LogGroupSource): string {
  return `# The run also selected, by prefix (select them above): ${sourceLabels(source).join('; ')}\n${query}`
}

/**
 * The console host of a region's partition, always with the region in front, as Grafana's
 * `getLogsEndpoint` builds it and its test pins (grafana/grafana
 * `public/app/plugins/datasource/cloudwatch/aws_url.ts` and `aws_url.test.ts`:
 * `us-gov-east-1.console.amazonaws-us-gov.com`, `cn-northwest-1.console.amazonaws.cn`). The bare
 * partition hosts (`console.amazonaws-us-gov.com`, `console.amazonaws.cn`) are seen in public links too;
 * the regional one goes straight to the region the query ran in.
 */
function consoleHost(region: string): string {
  if (region.startsWith('us-gov-')) return `${region}.console.amazonaws-us-gov.com`
  if (region.startsWith('cn-')) return `${region}.console.amazonaws.cn`
  return `${region}.console.aws.amazon.com`
}

/**
 * An ARN as the console's `source` takes it: without the `:*` that DescribeLogGroups' `arn` carries and
 * StartQuery refuses ("Don't include an * at the end", botocore model `logGroupIdentifiers`); Grafana
 * strips it the same way. A name cannot end in `:*` (pattern `[\.\-_/#A-Za-z0-9]+`).
 */
function logGroupSource(group: string): string {
  return group.startsWith('arn:') && group.endsWith(':*') ? group.slice(0, -2) : group
}

/** `2026-11-23T10:00:00.000Z`: with milliseconds, as in every console-written link. */
function isoTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString()
}

/**
 * JSURL v1 values (Sage/jsurl `lib/jsurl.js`): a value starts with `~`; a string is `~'` and its
 * encoded text, which ends at the next `~` or `)`; an object is `~(key~value~key~value)` where each
 * value brings its own `~`; an array is `~(~v1~v2)`, the empty one `~(~)`.
 */
function jsurlString(text: string): string {
  return `~'${jsurlEncode(text)}`
}

function jsurlArray(values: readonly string[]): string {
  return `~(${values.length > 0 ? values.join('') : '~'})`
}

function jsurlObject(entries: ReadonlyArray<readonly [string, string]>): string {
  return `~(${entries.map(([key, value]) => `${jsurlEncode(key)}${value}`).join('~')})`
}

/**
 * JSURL's string escape, on UTF-16 code units: `*XX` (two lowercase hex digits) below 0x100, `**XXXX`
 * from 0x100, so `é` is `*e9` and an emoji is its two surrogates `**d83d**de00`.
 *
 * Kept literal: only `[A-Za-z0-9_.-]`. Sage/jsurl also keeps `'` and `(` literal and writes `$` as `!`;
 * this writes them `*27`, `*28`, `*24`, which its parser reads back the same (`*XX` is decoded for any
 * code). Why: the console's own editorStrings encode `'`, `(`, `)` (`*27Processed*20batch*27`,
 * `sum*28new_matches*29`, reference §4.2), Grafana's copy of the encoder keeps only `[\w-.]`, and `*24`
 * also reads as `$` to the decoders that only undo `*XX`. An encoded text is then `[A-Za-z0-9_.*-]`
 * only, and the whole URL adds just JSURL's `~'()` and the fixed `:/?=#$`: no `|`, `<`, `>`, space, `"`,
 * `&`, `%` or line break, whatever the query holds. So it fits a Slack `<url|label>` and an HTML
 * attribute as it is, and a WHATWG URL parser leaves it unchanged (none of it is in the fragment
 * percent-encode set), so `new URL(url).href` is the same string.
 */
function jsurlEncode(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, (unit) => {
    const code = unit.charCodeAt(0)
    return code < 0x100 ? `*${code.toString(16).padStart(2, '0')}` : `**${code.toString(16).padStart(4, '0')}`
  })
}

/** The workflow run's page on GitHub, when the runner's environment says which run this is. */
export function workflowRunUrl(env: Record<string, string | undefined>): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID } = env
  if (!GITHUB_SERVER_URL || !GITHUB_REPOSITORY || !GITHUB_RUN_ID) return undefined
  return `${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}`
}
