import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { distFreshness as buildInputsFreshness, type DistFreshness } from '../../scripts/build-inputs.js'
import { node24Path } from './node24.js'

export const distEntry = resolve(import.meta.dirname, '../../dist/index.js')

/** Whether dist/index.js, which the end-to-end runs, demo and bench use, was built from the source as it is. */
export function distFreshness(): DistFreshness {
  return buildInputsFreshness(resolve(import.meta.dirname, '../..'))
}

const shiftedClock = resolve(import.meta.dirname, 'shifted-clock.mjs')

export interface ActionRun {
  exitCode: number | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
  summary: string
  runnerTemp: string
}

export interface RunActionOptions {
  /** Inputs by their action.yml names; passed as INPUT_<NAME> the way the runner does. */
  inputs: Record<string, string>
  env?: Record<string, string>
  /** Sent to the process after this many ms (to test cancellation). */
  signal?: { name: NodeJS.Signals; afterMs: number }
  timeoutMs?: number
  /** The Node binary; Node 24 by default, as the runner uses for `using: node24`. */
  node?: string
  /** Shifts the action's clock (Date) by this much, to run it at another moment; see shifted-clock.mjs. */
  clockOffsetMs?: number
  /** Modules the child loads first (`node --import`), such as test-hosts.mjs. */
  imports?: string[]
}

export interface RunnerEnvOptions {
  /** Inputs by their action.yml names; passed as INPUT_<NAME> the way the runner does. */
  inputs?: Record<string, string> | undefined
  /** More variables, overriding the runner's (but not the inputs). */
  env?: Record<string, string> | undefined
  /** Name prefix of the RUNNER_TEMP directory made under the OS temporary directory. */
  tempPrefix?: string
  /** Also make RUNNER_TEMP/workspace and pass it as GITHUB_WORKSPACE. */
  workspace?: boolean
}

export interface RunnerEnv {
  /** The child's whole environment. */
  env: Record<string, string>
  /** A new, empty directory: RUNNER_TEMP and HOME. */
  runnerTemp: string
  /** GITHUB_OUTPUT, created empty. */
  outputFile: string
  /** GITHUB_STEP_SUMMARY, created empty. */
  summaryFile: string
}

/**
 * The environment a runner gives an action: inputs as INPUT_* variables, GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files, RUNNER_TEMP (a new directory, also HOME), the GITHUB_* names of a run.
 * Nothing of this process's environment but PATH is passed on, so none of this machine's AWS settings
 * leak in. Used by runAction and by the bench (bench/lib.ts).
 */
export function runnerEnv(options: RunnerEnvOptions = {}): RunnerEnv {
  const runnerTemp = mkdtempSync(join(tmpdir(), options.tempPrefix ?? 'insights-watch-runner-'))
  const outputFile = join(runnerTemp, 'github_output')
  const summaryFile = join(runnerTemp, 'step_summary')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  let workspace: { GITHUB_WORKSPACE: string } | undefined
  if (options.workspace) {
    workspace = { GITHUB_WORKSPACE: join(runnerTemp, 'workspace') }
    mkdirSync(workspace.GITHUB_WORKSPACE)
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: runnerTemp,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: runnerTemp,
    ...workspace,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/api',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKFLOW: 'api-errors',
    GITHUB_JOB: 'watch',
    // Keep the SDK away from any real profile or instance metadata on this machine.
    AWS_CONFIG_FILE: join(runnerTemp, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(runnerTemp, 'aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...options.env,
  }
  for (const [name, value] of Object.entries(options.inputs ?? {})) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  return { env, runnerTemp, outputFile, summaryFile }
}

/**
 * Runs the bundled action as a runner does: Node 24, in the runner's environment (runnerEnv).
 * Nothing of the test process's AWS settings leaks in.
 */
export async function runAction(options: RunActionOptions): Promise<ActionRun> {
  const { env, runnerTemp, outputFile, summaryFile } = runnerEnv({ inputs: options.inputs, env: options.env })
  const args = [distEntry]
  for (const module of options.imports ?? []) args.unshift('--import', pathToFileURL(module).href)
  if (options.clockOffsetMs !== undefined) {
    env.INSIGHTS_WATCH_TEST_CLOCK_OFFSET_MS = String(options.clockOffsetMs)
    args.unshift('--import', pathToFileURL(shiftedClock).href)
  }
  const child = spawn(options.node ?? node24Path(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = captureOutput(child)
  const signalTimer = options.signal
    ? setTimeout(() => child.kill(options.signal?.name), options.signal.afterMs)
    : undefined
  const killTimer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
  const exitCode = await new Promise<number | null>((resolvePromise) => child.on('close', resolvePromise))
  clearTimeout(signalTimer)
  clearTimeout(killTimer)
  return {
    exitCode,
    ...output,
    outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    runnerTemp,
  }
}

/** What a spawned process writes to stdout and stderr, gathered as it comes; complete once it closes. */
export function captureOutput(child: ChildProcess): { stdout: string; stderr: string } {
  const output = { stdout: '', stderr: '' }
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output.stdout += chunk
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output.stderr += chunk
  })
  return output
}

/** Reads GITHUB_OUTPUT's `name<<delimiter` … `delimiter` blocks, as @actions/core writes them. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i] ?? '')
    if (!match) continue
    const [, name, delimiter] = match as unknown as [string, string, string]
    const value: string[] = []
    for (i += 1; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '')
    outputs[name] = value.join('\n')
  }
  return outputs
}
