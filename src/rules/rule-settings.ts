/**
 * Each rule of the rules file as the `Settings` of one monitor: its own keys first, then the file's
 * `defaults`, then the action's inputs, read and validated by the same readSettings as a single
 * monitor, so a rule accepts and refuses exactly what the inputs do. An error names the file, the
 * line where the bad value was written (the rule's, the defaults', or the rule's first line for an
 * inherited input) and the rule.
 */
import { extname } from 'node:path'
import { SettingsError } from '../errors.js'
import type { InputName } from '../inputs.js'
import { parseList, readSettings, type Settings, type SettingsSources } from '../settings.js'
import { monitorKey } from '../state/open.js'
import { WEBHOOK_SECRETS_KEY } from './rule-schema.js'
import { type PlacedValue, type RuleSource, type RulesDocument, RulesFileError } from './rules-file.js'

export function settingsOfRules(doc: RulesDocument, sources: SettingsSources): Settings[] {
  return doc.rules.map((rule) => settingsOfRule(doc, rule, sources))
}

function settingsOfRule(doc: RulesDocument, rule: RuleSource, sources: SettingsSources): Settings {
  const placed = (key: string): (PlacedValue & { inDefaults: boolean }) | undefined => {
    const own = rule.values.get(key)
    if (own) return { ...own, inDefaults: false }
    const inherited = doc.defaults.get(key)
    return inherited ? { ...inherited, inDefaults: true } : undefined
  }
  const fail = (key: string, detail: string): never => {
    const at = placed(key)
    const where = at?.inDefaults
      ? ` (set in defaults)`
      : at
        ? ''
        : ` (the action's input ${key}, which it inherits)`
    throw new RulesFileError(doc.file, at?.line ?? rule.line, `rule "${rule.name}"${where}`, detail)
  }
  const webhooks = placed(WEBHOOK_SECRETS_KEY)
  const webhookUrls = webhooks
    ? parseList(webhooks.text).map((name) => {
        const url = sources.env[name]?.trim()
        if (!url) {
          fail(
            WEBHOOK_SECRETS_KEY,
            `${WEBHOOK_SECRETS_KEY} names ${name}, which is not set in the step's environment: add \`env: ${name}: \${{ secrets.${name} }}\` to the step.`,
          )
        }
        return url as string
      })
    : undefined
  const getInput = (name: string): string => {
    if (name === 'monitor-name') return rule.name
    if (name === 'slack-webhook-url' && webhookUrls) return webhookUrls.join('\n')
    return placed(name)?.text ?? sources.getInput(name)
  }
  let settings: Settings
  try {
    settings = readSettings({ ...sources, getInput })
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error
    const key =
      (error.input as InputName) === 'slack-webhook-url' && webhooks ? WEBHOOK_SECRETS_KEY : error.input
    // `Input "thresholds": …` → `thresholds: …`: in a rules file the input is a key.
    return fail(key, error.message.replace(/^Input "([^"]+)": /, '$1: '))
  }
  // The region in the key: a matrix of regions over one rules file (README, "One job per region")
  // must not share a rule's checkpoint between regions.
  settings.ruleKey = monitorKey(`${rule.name} ${settings.region}`)
  if (settings.state.kind === 'file')
    settings.state = { kind: 'file', path: ruleStatePath(settings.state.path, settings.ruleKey) }
  return settings
}

/** `state: file:.state/watch.json` → `.state/watch.<rule>-<region>-<hash>.json`: one file (and lock) per rule. */
function ruleStatePath(path: string, ruleKey: string): string {
  const extension = extname(path)
  return `${path.slice(0, path.length - extension.length)}.${ruleKey}${extension}`
}
