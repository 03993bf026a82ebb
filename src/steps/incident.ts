/**
 * Step 7b (bot-token mode, `github-issue`): the incident this run opened, updated or resolved, told as
 * one Slack card per channel, edited in place, with one thread reply per run; and recorded as one
 * GitHub issue, with one comment per run, closed when it resolves.
 */
import type { AlertDecision } from '../alerting.js'
import { errorMessage } from '../errors.js'
import { buildIncidentCard, buildResolvedReply, buildWindowReply } from '../incident/card.js'
import { createGitHubIssues, GitHubIssueGoneError } from '../incident/github-issue.js'
import { advanceIncident, type Incident, type IncidentAdvance } from '../incident/incident.js'
import {
  issueBody,
  issueLabels,
  issueTitle,
  resolutionComment,
  windowComment,
} from '../incident/issue-text.js'
import { monitorConsoleUrl, workflowRunUrl } from '../notify/console-link.js'
import { createSlackBot, type SlackBot, SlackMessageNotFoundError } from '../notify/slack-bot.js'
import type { IncidentOutputs } from '../outputs.js'
import type { Report } from '../report.js'
import { apiClientDeps, type StepDeps } from '../run-deps.js'
import type { Settings } from '../settings.js'
import type { Delivery } from './notify.js'

export interface IncidentOutcome {
  /** The incident to keep in the checkpoint (undefined: none open, or none to reopen). */
  incident: Incident | undefined
  outputs: IncidentOutputs
  /** What happened, for the job summary. */
  note: string
  /** Slack channels that did not take this run's card or reply: the step fails, naming them. */
  slackError?: Error
  /** The GitHub issue could not be written: the step fails, naming the call. */
  issueError?: Error
  /** This run had news for the incident and no channel nor the issue took it. */
  untold: boolean
}

const OUTPUT_STATE = {
  open: 'opened',
  reopen: 'opened',
  update: 'updated',
  resolve: 'resolved',
  none: 'none',
} as const

/** Undefined when neither `slack-bot-token` nor `github-issue` is set: no incident is kept. */
export async function tellIncident(
  report: Report,
  decision: AlertDecision,
  previous: Incident | undefined,
  settings: Settings,
  deps: StepDeps,
  nowSeconds: number,
): Promise<IncidentOutcome | undefined> {
  if (!settings.incidentCard && !settings.githubIssue) return undefined
  const advance = advanceIncident(previous, decision, report, nowSeconds, settings)
  const { incident, action } = advance
  if (!incident || action === 'none') {
    return { incident, outputs: outputsOf(incident, 'none'), note: '', untold: false }
  }
  return deps.runner.group(`Incident ${incident.id} (${action})`, async () => {
    if (settings.dryRun) {
      const note = `dry-run: incident ${incident.id} (${action}) was not posted to Slack or GitHub.`
      deps.runner.info(note)
      return { incident, outputs: outputsOf(incident, action), note, untold: false }
    }
    const run: IncidentRun = { advance, incident, report, decision, settings, deps }
    const slack = await tellChannels(run)
    const issue = await recordIssue(run)
    const told = [...slack.told, ...issue.told]
    const note = `Incident ${incident.id} ${OUTPUT_STATE[action]}${told.length > 0 ? `: ${told.join('; ')}` : ''}.`
    deps.runner.info(note)
    // Outputs after posting: the card's ts and the issue's number are known only now.
    const outcome: IncidentOutcome = {
      incident,
      outputs: outputsOf(incident, action),
      note,
      untold: told.length === 0,
    }
    if (slack.error) outcome.slackError = slack.error
    if (issue.error) outcome.issueError = issue.error
    return outcome
  })
}

function outputsOf(incident: Incident | undefined, action: IncidentAdvance['action']): IncidentOutputs {
  const outputs: IncidentOutputs = { state: OUTPUT_STATE[action] }
  if (!incident || action === 'none') return outputs
  outputs.id = incident.id
  const card = incident.cards[0]
  if (card) outputs.slackTs = card.ts
  if (incident.issueNumber !== undefined) outputs.issueNumber = incident.issueNumber
  return outputs
}

/** The Insights console over the whole incident, for the card and the issue. */
function incidentConsoleUrl(incident: Incident, settings: Settings): string {
  return monitorConsoleUrl(settings, { start: incident.firstSeen, end: incident.lastSeen })
}

/** What a run tells of its incident, and where from: what the channel and issue functions take. */
interface IncidentRun {
  advance: IncidentAdvance
  incident: Incident
  report: Report
  decision: AlertDecision
  settings: Settings
  deps: StepDeps
}

/** What was told where, and the error naming what could not be told. */
interface Told {
  told: string[]
  error?: Error
}

/** Each channel's card and thread; the channels that failed are named in one error. */
async function tellChannels(run: IncidentRun): Promise<Told> {
  const { incident, settings, deps } = run
  if (!settings.incidentCard) return { told: [] }
  const bot = await createSlackBot(settings.incidentCard.token, apiClientDeps(deps))
  const told: string[] = []
  const failed: string[] = []
  for (const requested of settings.incidentCard.channels) {
    try {
      told.push(await tellChannel(bot, requested, run))
    } catch (error) {
      failed.push(`${requested}: ${errorMessage(error)}`)
      deps.runner.warning(`Could not tell ${requested} of incident ${incident.id}: ${errorMessage(error)}`)
    }
  }
  if (failed.length === 0) return { told }
  const error = new Error(
    `The incident card was not posted or updated in ${failed.length} of ${settings.incidentCard.channels.length} channels: ${failed.join(' ')}`,
  )
  return { told, error }
}

/**
 * One channel: the card posted (opening, or the old one was deleted) or edited in place, then one
 * thread reply with this run's window, and one more when the incident resolved. A mention goes in the
 * new card's text, else in the reply: an edit notifies nobody.
 */
async function tellChannel(bot: SlackBot, requested: string, run: IncidentRun): Promise<string> {
  const { advance, incident, report, decision, settings, deps } = run
  const mention = advance.mention && settings.mention ? settings.mention : undefined
  const runUrl = workflowRunUrl(deps.env)
  const links = { consoleUrl: incidentConsoleUrl(incident, settings), ...(runUrl ? { runUrl } : {}) }
  const existing = incident.cards.find((card) => card.requested === requested)
  let card = existing
  let replaced = false
  if (existing) {
    try {
      await bot.update(existing.channel, existing.ts, buildIncidentCard(incident, links))
    } catch (error) {
      if (!(error instanceof SlackMessageNotFoundError)) throw error
      deps.runner.warning(
        `The card of incident ${incident.id} in ${requested} was deleted in Slack: posting a new card.`,
      )
      card = undefined
      replaced = true
    }
  }
  const posted = card === undefined
  if (card === undefined) {
    const answer = await bot.postMessage(
      requested,
      buildIncidentCard(incident, { ...links, ...(mention ? { mention } : {}) }),
    )
    card = { channel: answer.channel, ts: answer.ts, requested }
    incident.cards = [...incident.cards.filter((kept) => kept.requested !== requested), card]
  }
  const replyMention = mention && !posted ? { mention } : {}
  const resolveAt = decision.kind === 'clearing' ? { resolveAt: decision.resolveAt } : {}
  const reply = buildWindowReply(report, incident, {
    consoleUrl: report.consoleUrl,
    ...replyMention,
    ...resolveAt,
  })
  await bot.postMessage(card.channel, reply, { threadTs: card.ts })
  if (advance.action === 'resolve') {
    await bot.postMessage(card.channel, buildResolvedReply(incident, settings.resolveAfterSeconds), {
      threadTs: card.ts,
    })
  }
  const what = posted ? (replaced ? 'new card (the old one was deleted)' : 'card posted') : 'card updated'
  return `${requested}: ${what}, thread reply${advance.action === 'resolve' ? 's' : ''}`
}

/** The GitHub issue: opened (with a first comment), commented on each run, relabelled, closed or reopened. */
async function recordIssue(run: IncidentRun): Promise<Told> {
  const { advance, incident, report, settings, deps } = run
  if (!settings.githubIssue) return { told: [] }
  const runUrl = workflowRunUrl(deps.env)
  const links = { consoleUrl: incidentConsoleUrl(incident, settings), ...(runUrl ? { runUrl } : {}) }
  try {
    const issues = await createGitHubIssues(settings.githubIssue.token, {
      ...apiClientDeps(deps),
      env: { ...deps.env, GITHUB_REPOSITORY: settings.githubIssue.repository },
    })
    const open = async () =>
      issues.openIssue({
        title: issueTitle(incident, settings.monitorName),
        body: issueBody(incident, links),
        labels: issueLabels(settings.monitorName, incident),
      })
    let opened = false
    if (incident.issueNumber === undefined) {
      incident.issueNumber = await open()
      opened = true
    } else if (advance.action === 'reopen') {
      await issues.reopenIssue(incident.issueNumber)
    }
    try {
      await issues.comment(incident.issueNumber, windowComment(report, incident))
    } catch (error) {
      if (!(error instanceof GitHubIssueGoneError)) throw error
      incident.issueNumber = await open()
      opened = true
      await issues.comment(incident.issueNumber, windowComment(report, incident))
    }
    if (!opened && advance.mention)
      await issues.setLabels(incident.issueNumber, issueLabels(settings.monitorName, incident))
    if (advance.action === 'resolve')
      await issues.closeIssue(incident.issueNumber, resolutionComment(incident))
    const what = opened ? 'opened' : advance.action === 'resolve' ? 'commented and closed' : 'commented'
    return { told: [`issue #${incident.issueNumber} ${what}`] }
  } catch (error) {
    const failed = new Error(`The incident's GitHub issue: ${errorMessage(error)}`)
    deps.runner.warning(failed.message)
    return { told: [], error: failed }
  }
}

/**
 * The run's delivery with the incident's: a channel that failed fails the step as a webhook would (no
 * failure notice: Slack refused), and when no webhook is set and nothing took this run's news, the
 * checkpoint stays, so the next run tells these entries again.
 */
export function withIncident(
  delivery: Delivery,
  incident: IncidentOutcome | undefined,
  settings: Settings,
): Delivery {
  if (!incident) return delivery
  const joined: Delivery = { ...delivery, note: [delivery.note, incident.note].filter(Boolean).join(' ') }
  if (incident.slackError && !joined.error) joined.error = incident.slackError
  if (incident.untold && settings.slackWebhookUrls.length === 0) joined.keepCheckpoint = true
  return joined
}
