import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

/**
 * The workflows README.md offers to copy (docs/workflows/): each one parses, passes only inputs
 * action.yml has, and grants what its features need; README links each one.
 */

const root = join(import.meta.dirname, '../..')
const dir = join(root, 'docs/workflows')

interface Step {
  uses?: string
  with?: Record<string, unknown>
  env?: Record<string, unknown>
}
interface Workflow {
  on: Record<string, { paths?: string[] } | null>
  permissions: Record<string, string>
  concurrency?: { group: string; 'cancel-in-progress': boolean }
  jobs: Record<string, { steps: Step[] }>
}

const inputs = Object.keys(
  (parse(readFileSync(join(root, 'action.yml'), 'utf8')) as { inputs: object }).inputs,
)
const files = readdirSync(dir).filter((name) => name.endsWith('.yml'))

function workflow(name: string): Workflow {
  return parse(readFileSync(join(dir, name), 'utf8')) as Workflow
}

/** The step that runs this action. */
function actionStep(name: string): Step {
  const steps = Object.values(workflow(name).jobs).flatMap((job) => job.steps)
  const step = steps.find((s) => s.uses?.startsWith('org/insights-watch@'))
  if (!step) throw new Error(`${name} has no step that uses org/insights-watch`)
  return step
}

describe('docs/workflows', () => {
  it('holds the two workflows README points to', () => {
    expect(files.sort()).toEqual(['backtest-pull-request.yml', 'watch-rules.yml'])
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    for (const name of files) expect(readme).toContain(`](docs/workflows/${name})`)
  })

  it.each(files)('%s passes only inputs action.yml has, and checks out the rules file first', (name) => {
    const step = actionStep(name)
    for (const input of Object.keys(step.with ?? {})) expect(inputs, `${name}: ${input}`).toContain(input)
    const steps = Object.values(workflow(name).jobs).flatMap((job) => job.steps)
    expect(steps.findIndex((s) => s.uses?.startsWith('actions/checkout@'))).toBe(0)
  })

  it('the backtest runs on pull requests that change the rules file, with the permissions its comment needs', () => {
    const backtest = workflow('backtest-pull-request.yml')
    const step = actionStep('backtest-pull-request.yml')
    expect(Object.keys(backtest.on)).toEqual(['pull_request'])
    expect(backtest.on.pull_request?.paths).toEqual([step.with?.rules])
    expect(step.with).toMatchObject({ rules: '.github/insights-watch.yml', backtest: '7d' })
    expect(step.with?.['role-to-assume']).toMatch(/^arn:aws:iam::\d{12}:role\//)
    expect(backtest.permissions).toEqual({
      'id-token': 'write',
      contents: 'read',
      'pull-requests': 'write',
    })
  })

  it('the schedule runs every five minutes, one run at a time, each webhook secret under its own name', () => {
    const watch = workflow('watch-rules.yml')
    const step = actionStep('watch-rules.yml')
    expect(watch.on.schedule).toEqual([{ cron: '*/5 * * * *' }])
    expect(watch.concurrency).toMatchObject({ 'cancel-in-progress': false })
    expect(watch.permissions).toEqual({ 'id-token': 'write', contents: 'read' })
    expect(step.with?.rules).toBe('.github/insights-watch.yml')
    const env = Object.entries(step.env ?? {})
    expect(env.length).toBeGreaterThan(0)
    for (const [name, value] of env) expect(value).toBe(`\${{ secrets.${name} }}`)
  })
})
