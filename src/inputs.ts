/**
 * Every input of action.yml in one table: its name, its default exactly as action.yml states it, and
 * whether it is required. The runner passes an input's default when a workflow leaves the input out;
 * readSettings (settings.ts) applies the same default to an input given empty, and to runs outside
 * Actions (local-action, the tests), which pass none. test/unit/inputs.test.ts holds this table
 * against action.yml both ways: the same names, defaults and required flags.
 */

export interface InputSpec {
  /** The default as action.yml writes it; absent where action.yml gives none. */
  readonly default?: string
  readonly required: boolean
}

const TABLE = {
  // Where the logs are, and the AWS role that reads them.
  // One of log-group-names, log-group-prefixes or rules is needed (settings.ts).
  'log-group-names': { required: false },
  'log-group-prefixes': { required: false },
  'source-accounts': { required: false },
  // Absent: AWS_REGION, then AWS_DEFAULT_REGION (settings.ts).
  'aws-region': { required: false },
  'role-to-assume': { required: false },
  // Absent: insights-watch-<run id> (settings.ts).
  'role-session-name': { required: false },
  'role-duration-seconds': { default: '900', required: false },
  audience: { default: 'sts.amazonaws.com', required: false },

  // The query.
  query: {
    default: 'fields @timestamp, @message, @log | filter status >= 400 | sort @timestamp desc',
    required: false,
  },
  'query-language': { default: 'CWLI', required: false },

  // The window each run checks, and where the checkpoint lives.
  interval: { default: '5m', required: false },
  'query-delay': { default: '1m', required: false },
  overlap: { default: '2m', required: false },
  'max-catch-up': { default: '1h', required: false },
  state: { default: 'actions-cache', required: false },

  // One run.
  'query-timeout': { default: '5m', required: false },
  'max-results': { default: '100000', required: false },
  // Absent: "<workflow> / <job>" (settings.ts).
  'monitor-name': { required: false },

  // Where it tells: webhooks, the incident card (bot-token mode), the GitHub issue.
  'slack-webhook-url': { required: false },
  'slack-bot-token': { required: false },
  'slack-channel': { required: false },
  'reopen-within': { default: '1h', required: false },
  'github-issue': { default: 'false', required: false },
  // The runner fills it in; outside Actions (local-action, tests) settings.ts reads GITHUB_TOKEN.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: action.yml's expression, as written there
  'github-token': { default: '${{ github.token }}', required: false },

  // What the message shows.
  'status-field': { default: 'status', required: false },
  'group-by': { default: 'status, httpMethod, resourcePath, routeKey', required: false },
  'max-samples': { default: '10', required: false },
  /*
   * Background 4xx (scanners, expired tokens, typos) run at a handful per five minutes on a normal
   * API, while a broken client or an auth outage sends hundreds; one 5xx is always news. Entries
   * without a 4xx/5xx status keep alerting at the first one: the monitor cannot tell what they are,
   * and a custom query without a status field must not go silent.
   */
  // Its default (DEFAULT_THRESHOLDS) applies only without rate-thresholds: see settings.ts.
  thresholds: { required: false },
  // Error rates, and the same window a week earlier.
  'rate-thresholds': { required: false },
  'min-requests': { default: '100', required: false },
  baseline: { default: '7d', required: false },
  mention: { required: false },

  // When an episode of alerts reminds and resolves.
  realert: { default: '1h', required: false },
  'resolve-after': { default: '15m', required: false },

  // Errors never seen before (new-signatures).
  'new-signatures': { default: 'false', required: false },
  'signature-fields': { default: 'status, httpMethod, resourcePath, routeKey', required: false },
  'signature-memory': { default: '7d', required: false },
  'new-signature-threshold': { default: '3', required: false },

  // What else it tells, and how the step ends.
  'notify-resolved': { default: 'true', required: false },
  'notify-on-error': { default: 'true', required: false },
  'fail-on-match': { default: 'false', required: false },

  // The job summary's cost, and trying it out.
  'price-per-gb': { default: '0.005', required: false },
  'dry-run': { default: 'false', required: false },

  // Many monitors in one step, and trying them over the past.
  rules: { required: false },
  backtest: { required: false },
  'pr-comment': { default: 'true', required: false },
} as const satisfies Record<string, InputSpec>

/** The name of an input of action.yml. */
export type InputName = keyof typeof TABLE

export const INPUTS: Readonly<Record<InputName, InputSpec>> = TABLE

/** The default `query`: Logs Insights QL, every 4xx/5xx access-log entry, newest first. */
export const DEFAULT_QUERY = TABLE.query.default
