import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { settingsOfRules } from '../../../src/rules/rule-settings.js'
import { parseRules } from '../../../src/rules/rules-file.js'

const FILE = '.github/insights-watch.yml'
const HOOK = 'https://hooks.slack.com/services/T000/B000/payments'

/** The rules' settings, with the action's inputs `inputs` and the step's env. */
function rules(text: string, inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  const masked: string[] = []
  const settings = settingsOfRules(parseRules(text, FILE), {
    getInput: (name) => inputs[name] ?? '',
    setSecret: (value) => masked.push(value),
    env: { AWS_REGION: 'eu-west-1', ...env },
  })
  return { settings, masked }
}

function errorOf(
  text: string,
  inputs: Record<string, string> = {},
  env: Record<string, string> = {},
): string {
  try {
    rules(text, inputs, env)
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('no error')
}

describe('rules file', () => {
  it("a rule takes its own value, else defaults', else the action input's, else the input's default", () => {
    const { settings, masked } = rules(
      [
        'defaults:',
        '  thresholds: { 5xx: 2, 4xx: 20 }',
        '  group-by: [status]',
        'rules:',
        '  - name: payments',
        '    log-group-names: [/aws/apigateway/payments, /aws/apigateway/payments-v2]',
        '    rate-thresholds: { 5xx: 1, 4xx: 2.5% }',
        '    slack-webhook-secrets: SLACK_PAYMENTS',
        '    new-signatures: true',
        '  - name: search',
        '    log-group-names: /aws/apigateway/search',
        '    thresholds: 7',
        '    max-samples: 3',
      ].join('\n'),
      { realert: '30m', 'slack-webhook-url': 'https://hooks.slack.com/services/T000/B000/shared' },
      { SLACK_PAYMENTS: HOOK },
    )
    const [payments, search] = settings
    expect(payments?.monitorName).toBe('payments')
    expect(payments?.logGroups).toEqual(['/aws/apigateway/payments', '/aws/apigateway/payments-v2'])
    expect(payments?.thresholds).toEqual({ critical: 2, warning: 20 })
    expect(payments?.rates?.thresholds).toEqual({ critical: 0.01, warning: 0.025 })
    expect(payments?.slackWebhookUrls).toEqual([HOOK])
    expect(payments?.signatures?.fields).toEqual(['status', 'httpMethod', 'resourcePath', 'routeKey'])
    expect(payments?.realertSeconds).toBe(1800)
    expect(search?.thresholds).toEqual({ total: 7 })
    expect(search?.maxSamples).toBe(3)
    expect(search?.groupBy).toEqual(['status'])
    expect(search?.slackWebhookUrls).toEqual(['https://hooks.slack.com/services/T000/B000/shared'])
    expect(search?.resolveAfterSeconds).toBe(900)
    // The secret from the env is masked like the input's.
    expect(masked).toContain(HOOK)
  })

  it('gives each rule its own state: file and results file name; the cache key follows the name', () => {
    const { settings } = rules(
      'rules:\n  - name: a b\n    log-group-names: /a\n  - name: a-b\n    log-group-names: /b\n',
      {
        state: 'file:/var/state/watch.json',
      },
    )
    const paths = settings.map((rule) => (rule.state.kind === 'file' ? rule.state.path : ''))
    expect(paths[0]).toMatch(/^\/var\/state\/watch\.a-b-eu-west-1-[0-9a-f]{8}\.json$/)
    expect(paths[1]).toMatch(/^\/var\/state\/watch\.a-b-eu-west-1-[0-9a-f]{8}\.json$/)
    expect(paths[0]).not.toBe(paths[1])
    expect(settings[0]?.ruleKey).not.toBe(settings[1]?.ruleKey)
  })

  it('keys a rule by its region too: one rules file in a matrix of regions shares no checkpoint', () => {
    const text = 'rules:\n  - name: payments\n    log-group-names: /a\n'
    const keys = ['eu-west-1', 'us-east-1'].map(
      (region) => rules(text, { 'aws-region': region }).settings[0]?.ruleKey,
    )
    expect(keys[0]).toMatch(/^payments-eu-west-1-/)
    expect(keys[1]).toMatch(/^payments-us-east-1-/)
  })

  it('YAML anchors and merge keys share settings between rules', () => {
    const { settings } = rules(
      'shared: &edge\n  status-field: code\n'.replace('shared', 'defaults') +
        'rules:\n  - name: a\n    <<: *edge\n    log-group-names: /a\n    thresholds: 3\n',
    )
    expect(settings[0]?.statusField).toBe('code')
  })

  it.each([
    [
      'a value of the wrong type',
      'rules:\n  - name: a\n    log-group-names: /a\n  - name: b\n    log-group-names: /b\n    new-signatures: yes please\n',
      `${FILE}:6: rule "b": new-signatures: expected true or false`,
    ],
    [
      'a step-wide input in a rule',
      'rules:\n  - name: a\n    log-group-names: /a\n    aws-region: us-east-1\n',
      `${FILE}:4: rule "a": "aws-region" applies to the whole step, not to one rule: give it as an input of the action (with:).`,
    ],
    [
      'a webhook URL in the file',
      'rules:\n  - name: a\n    log-group-names: /a\n    slack-webhook-url: https://hooks.slack.com/services/x\n',
      `${FILE}:4: rule "a": "slack-webhook-url" cannot be in the file: webhook URLs are secrets.`,
    ],
    [
      'a key no rule has',
      'rules:\n  - name: a\n    log-group-names: /a\n    treshold: 3\n',
      `${FILE}:4: rule "a": "treshold" is not a rule setting`,
    ],
    [
      'broken YAML',
      'rules:\n  - name: a\n    log-group-names: [/a\n  - name: b\n',
      `${FILE}:4: rule "a": not valid YAML:`,
    ],
    [
      'two rules of one name',
      'rules:\n  - name: a\n    log-group-names: /a\n  - name: a\n    log-group-names: /b\n',
      `${FILE}:4: rule "a": the name is already used by the rule on line 2`,
    ],
    [
      'a rule without a name',
      'rules:\n  - log-group-names: /a\n',
      `${FILE}:2: rule 1 (no name): has no name`,
    ],
    ['no rules', 'defaults:\n  thresholds: 1\nrules: []\n', `${FILE}:3: rules is empty`],
    [
      'a bad value inherited from defaults',
      'defaults:\n  realert: soon\nrules:\n  - name: a\n    log-group-names: /a\n',
      `${FILE}:2: rule "a" (set in defaults): realert: "soon" is not a duration`,
    ],
    [
      'a rate that is not one',
      'rules:\n  - name: a\n    log-group-names: /a\n    rate-thresholds: { 5xx: 150 }\n',
      `${FILE}:4: rule "a": rate-thresholds.5xx: expected like \`5xx=1%\`, or a map like \`{5xx: 1%}\` (keys 5xx, 4xx, other, total) (150 is greater than 100).`,
    ],
    [
      'a secret the step was not given',
      'rules:\n  - name: a\n    log-group-names: /a\n    slack-webhook-secrets: [SLACK_A]\n',
      `${FILE}:4: rule "a": slack-webhook-secrets names SLACK_A, which is not set in the step's environment: add \`env: SLACK_A: \${{ secrets.SLACK_A }}\` to the step.`,
    ],
  ])('refuses %s, naming the file, the line and the rule', (_, text, message) => {
    expect(errorOf(text)).toContain(`Input "rules": ${message}`)
  })

  it('blames an inherited action input on the rule, saying where the value came from', () => {
    expect(errorOf('rules:\n  - name: a\n    log-group-names: /a\n', { 'max-samples': '99' })).toContain(
      `${FILE}:2: rule "a" (the action's input max-samples, which it inherits): max-samples: 99 is out of range`,
    )
  })
})

describe('schema/insights-watch-rules.schema.json', () => {
  it('is the schema the action validates with, with action.yml descriptions (npm run schema:rules -- --check)', () => {
    const root = join(import.meta.dirname, '../../..')
    const check = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/rules-schema.ts', '--check'], {
      cwd: root,
      encoding: 'utf8',
    })
    expect(check.stderr).toBe('')
    expect(check.status).toBe(0)
  })
})

describe('docs/insights-watch.example.yml', () => {
  it('is a valid rules file: three rules, each as its keys say', () => {
    const text = readFileSync(join(import.meta.dirname, '../../../docs/insights-watch.example.yml'), 'utf8')
    const { settings } = rules(
      text,
      {},
      {
        SLACK_ALERTS_WEBHOOK: 'https://hooks.slack.com/services/T000/B000/alerts',
        SLACK_PAYMENTS_WEBHOOK: HOOK,
        SLACK_CHECKOUT_WEBHOOK: 'https://hooks.slack.com/services/T000/B000/checkout',
      },
    )
    expect(settings.map((rule) => rule.monitorName)).toEqual(['payments', 'checkout', 'search (aggregate)'])
    expect(settings[0]?.slackWebhookUrls).toEqual([HOOK, 'https://hooks.slack.com/services/T000/B000/alerts'])
    expect(settings[0]?.rates?.thresholds).toEqual({ critical: 0.005, warning: 0.1 })
    expect(settings[2]?.thresholds).toEqual({ total: 10 })
  })
})
