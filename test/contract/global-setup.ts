import { existsSync } from 'node:fs'
import { node24Path } from '../support/node24.js'
import { distEntry, distFreshness } from '../support/run-action.js'
import { contractConfig, SKIP_LINE } from './config.js'

/**
 * Says, before anything runs, whether `npm run test:aws` talks to real AWS or skips, and why.
 * A configuration that is set but incomplete throws here, so the run fails with the reason.
 */
export default function setup(): void {
  const config = contractConfig(process.env)
  if (!config) {
    console.log(SKIP_LINE)
    return
  }
  const credentials = config.roleArn
    ? `role ${config.roleArn} assumed with the runner's OIDC token`
    : 'the default credential chain'
  console.log(
    `test:aws: running against real AWS: log group ${config.logGroup} in ${config.region}, ${credentials}, ` +
      (config.slackWebhookUrl
        ? 'one real Slack post.'
        : 'no Slack post (INSIGHTS_WATCH_SLACK_WEBHOOK_URL unset).'),
  )
  if (!existsSync(distEntry)) throw new Error(`test:aws runs ${distEntry}; build it first: npm run build`)
  const freshness = distFreshness()
  if (freshness.stale) {
    console.log(`test:aws: ${freshness.reason}; the suite tests the bundle as built (npm run build).`)
  }
  node24Path()
}
