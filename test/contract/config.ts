/**
 * What `npm run test:aws` runs against, read from the environment. INSIGHTS_WATCH_AWS_LOG_GROUP is the
 * switch: without it the suite skips (and says so); with it, anything missing is an error, so that a
 * misconfigured CI job fails instead of quietly passing a suite that never ran.
 */

export const SKIP_LINE =
  'test:aws skipped: set INSIGHTS_WATCH_AWS_LOG_GROUP and AWS credentials to run the contract suite against real AWS'

export interface ContractConfig {
  /** A scratch log group (a name, not an ARN) the suite may create and delete log streams in. */
  logGroup: string
  region: string
  /**
   * With it, the suite runs on a GitHub runner with `permissions: id-token: write`: the suite and the
   * action both assume this role with the runner's OIDC token (the action through `role-to-assume`).
   * Without it, both use the default credential chain.
   */
  roleArn?: string
  /** A real Slack incoming webhook to post one message to; without it nothing is sent to Slack. */
  slackWebhookUrl?: string
}

export class ContractConfigError extends Error {
  constructor(message: string) {
    super(`test:aws: ${message}`)
    this.name = 'ContractConfigError'
  }
}

/** The endpoint overrides the emulator uses; the contract suite must reach AWS itself. */
const ENDPOINT_OVERRIDES = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS', 'AWS_ENDPOINT_URL_STS']

/** The configuration, `undefined` when the suite is not configured (skip), or a ContractConfigError. */
export function contractConfig(env: Record<string, string | undefined>): ContractConfig | undefined {
  const logGroup = env.INSIGHTS_WATCH_AWS_LOG_GROUP?.trim()
  if (!logGroup) return undefined
  if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(logGroup)) {
    throw new ContractConfigError(
      `INSIGHTS_WATCH_AWS_LOG_GROUP="${logGroup}" is not a log group name (give the name, not the ARN).`,
    )
  }
  const region = (env.AWS_REGION || env.AWS_DEFAULT_REGION || '').trim()
  if (!region) {
    throw new ContractConfigError('set AWS_REGION to the region of INSIGHTS_WATCH_AWS_LOG_GROUP.')
  }
  const overridden = ENDPOINT_OVERRIDES.filter((name) => env[name])
  if (overridden.length > 0) {
    throw new ContractConfigError(
      `${overridden.join(', ')} ${overridden.length === 1 ? 'is' : 'are'} set; the contract suite runs against real AWS. Unset ${overridden.length === 1 ? 'it' : 'them'}.`,
    )
  }
  const config: ContractConfig = { logGroup, region }
  const roleArn = env.INSIGHTS_WATCH_AWS_ROLE_ARN?.trim()
  if (roleArn) {
    if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
      throw new ContractConfigError(
        'INSIGHTS_WATCH_AWS_ROLE_ARN is set, but there is no GitHub OIDC token to assume it with ' +
          '(ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN): run on a GitHub runner with ' +
          '"permissions: id-token: write", or unset it to use the default credential chain.',
      )
    }
    config.roleArn = roleArn
  }
  const webhook = env.INSIGHTS_WATCH_SLACK_WEBHOOK_URL?.trim()
  if (webhook) config.slackWebhookUrl = webhook
  return config
}
