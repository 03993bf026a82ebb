import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { INPUTS, type InputName } from '../../src/inputs.js'
import { readSettings } from '../../src/settings.js'

interface ActionInput {
  description?: string
  required?: boolean
  default?: unknown
}

const action = parse(readFileSync(join(import.meta.dirname, '../../action.yml'), 'utf8')) as {
  inputs: Record<string, ActionInput>
}

/** action.yml's inputs as the table writes them: the default as the string the runner passes. */
const declared = Object.fromEntries(
  Object.entries(action.inputs).map(([name, input]) => {
    const spec: { default?: string; required: boolean } = { required: input.required === true }
    if (input.default !== undefined && input.default !== null) spec.default = String(input.default)
    return [name, spec]
  }),
)

describe('the inputs table (src/inputs.ts)', () => {
  it('names every input of action.yml, and no other', () => {
    expect(Object.keys(INPUTS).sort()).toEqual(Object.keys(action.inputs).sort())
  })

  it.each(Object.keys(INPUTS))('states the default and required flag of action.yml for %s', (name) => {
    expect(INPUTS[name as InputName]).toEqual(declared[name])
  })

  it.each(Object.keys(action.inputs))('has %s of action.yml, with its default and required flag', (name) => {
    expect(Object.hasOwn(INPUTS, name)).toBe(true)
    expect(INPUTS[name as InputName]).toEqual(declared[name])
  })

  it('gives every action.yml input a description', () => {
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description?.trim(), name).toBeTruthy()
    }
  })

  it('is what readSettings applies: empty inputs read the same as the defaults the runner passes', () => {
    const env = { GITHUB_RUN_ID: '7', GITHUB_WORKFLOW: 'api', GITHUB_JOB: 'watch', AWS_REGION: 'eu-west-1' }
    const required = { 'log-group-names': '/aws/apigateway/prod-access' }
    const read = (inputs: Record<string, string>) =>
      readSettings({ getInput: (name) => inputs[name] ?? '', setSecret: () => {}, env })
    const runnerDefaults: Record<string, string> = { ...required }
    for (const [name, spec] of Object.entries(declared)) {
      if (spec.default !== undefined) runnerDefaults[name] = spec.default
    }
    expect(read(runnerDefaults)).toEqual(read(required))
  })
})
