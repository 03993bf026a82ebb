/**
 * Runs `run()` from src/main.ts inside the test process, the way the runner would run dist/index.js
 * (INPUT_* variables, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP), but hundreds of times in a few
 * seconds and on a simulated clock. Spawning Node 576 times would not fit the time budget.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import { run } from '../../src/main.js'
import { nodeHttpFetch } from '../../src/notify/http-transport.js'
import type { Emulator } from '../emulator/index.js'
import { parseOutputs } from '../support/run-action.js'

/** A clock the simulation moves by hand; the emulator and the action both read it. */
export class SimClock {
  constructor(private t: number) {}
  readonly now = (): number => this.t
  advance(ms: number): void {
    this.t += ms
  }
  /** Moves the clock forward to `t`; never backwards. */
  advanceTo(t: number): void {
    this.t = Math.max(this.t, t)
  }
}

export interface InProcessRun {
  /** `process.exitCode` after the run: 1 when the step failed (core.setFailed). */
  failed: boolean
  /** Everything the run printed to stdout (core.info, ::warning:: commands, …). */
  log: string
  outputs: Record<string, string>
  /** The HTML the run appended to the job summary. */
  summary: string
}

export interface InProcessOptions {
  clock: SimClock
  /** Inputs by their action.yml names. */
  inputs: Record<string, string>
  /** Further environment (credentials, endpoints, GITHUB_RUN_ID, …). */
  env: Record<string, string>
  /** A fresh directory per run, as RUNNER_TEMP is on a hosted runner. */
  runnerTemp: string
  /**
   * The job summary file. It must be the same path for every run in this process: `core.summary`
   * remembers the first GITHUB_STEP_SUMMARY it sees and keeps writing there. It is emptied before
   * each run, so each run still starts with a fresh summary, as a real job does.
   */
  summaryFile: string
  /**
   * How far the runner's clock is ahead of the service's (ms; negative: behind). The emulator keeps
   * `clock`; the action reads `clock` plus this, as a self-hosted runner whose clock drifted would.
   */
  runnerClockOffsetMs?: number
}

const realDateNow = Date.now

/** Variables from the test process that a runner would not have set: kept away from the run. */
const FOREIGN = /^(INPUT_|AWS_|ACTIONS_|GITHUB_|RUNNER_)/

export async function runInProcess(options: InProcessOptions): Promise<InProcessRun> {
  const outputFile = join(options.runnerTemp, 'github_output')
  writeFileSync(outputFile, '')
  writeFileSync(options.summaryFile, '')
  const env: Record<string, string> = {
    ...options.env,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: options.summaryFile,
    RUNNER_TEMP: options.runnerTemp,
    // Keep the SDK away from any real profile or instance metadata on the test machine.
    AWS_CONFIG_FILE: join(options.runnerTemp, 'aws-config-absent'),
    AWS_SHARED_CREDENTIALS_FILE: join(options.runnerTemp, 'aws-credentials-absent'),
    AWS_EC2_METADATA_DISABLED: 'true',
  }
  for (const [name, value] of Object.entries(options.inputs)) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }

  // @actions/core and the AWS SDK read process.env, so the run's variables go there for its duration.
  const saved = new Map<string, string | undefined>()
  for (const name of Object.keys(process.env)) {
    if (FOREIGN.test(name)) saved.set(name, process.env[name])
  }
  for (const name of Object.keys(env)) saved.set(name, process.env[name])
  for (const name of saved.keys()) delete process.env[name]
  Object.assign(process.env, env)

  // core.info and the workflow commands go to stdout: kept for a failure message instead of flooding
  // the test output with 288 runs' logs.
  const captured: string[] = []
  const write = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
    const callback = rest.find((arg): arg is () => void => typeof arg === 'function')
    callback?.()
    return true
  }) as typeof process.stdout.write
  const exitCode = process.exitCode
  process.exitCode = undefined

  let failed: boolean
  try {
    const offset = options.runnerClockOffsetMs ?? 0
    const runnerNow = offset === 0 ? options.clock.now : () => options.clock.now() + offset
    // What the run reads through Date.now (the SDK's SigV4 signing time among it) is the runner's
    // clock too, as on a runner: else every signature would be months off the emulator's clock and
    // refused, and each run would pay the SDK's clock-correcting retry.
    Date.now = runnerNow
    await run({
      now: runnerNow,
      // Polls and Slack back-off wait on the simulated clock, so a day runs in seconds.
      sleep: async (ms) => options.clock.advance(ms),
      fetch: nodeHttpFetch,
      env,
    })
  } finally {
    Date.now = realDateNow
    failed = process.exitCode !== undefined && process.exitCode !== 0
    process.exitCode = exitCode
    process.stdout.write = write
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }

  return {
    failed,
    log: captured.join(''),
    outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(options.summaryFile, 'utf8'),
  }
}

/** A fresh directory under `parent`. */
export function freshDirectory(parent: string, prefix: string): string {
  return mkdtempSync(join(parent, prefix))
}

/**
 * A temporary directory for a test file's simulated days, made before its tests and removed after:
 * `base()` for the days' own directories, `summaryFile()` for the job summary every run appends to.
 */
export function simWorkspace(prefix: string): { base: () => string; summaryFile: () => string } {
  let base = ''
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), prefix))
  })
  afterAll(() => {
    rmSync(base, { recursive: true, force: true })
  })
  return { base: () => base, summaryFile: () => join(base, 'step_summary') }
}

/** An ISO time (a step output) as epoch seconds. */
export function fromIso(text: string | undefined): number {
  const ms = Date.parse(text ?? '')
  if (Number.isNaN(ms)) throw new Error(`not an ISO time: ${String(text)}`)
  return ms / 1000
}

/** Epoch seconds as `2026-02-10T04:11:37Z`. */
export function iso(epochSecond: number): string {
  return new Date(epochSecond * 1000).toISOString().replace('.000Z', 'Z')
}

/**
 * A run's environment against the emulator: its static keys (the default credential chain), its
 * Logs endpoint, and the GITHUB_* names of a scheduled run (`runId` tells the runs apart).
 */
export function simRunnerEnv(emulator: Emulator, runId: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: emulator.defaultCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emulator.defaultCredentials.secretAccessKey,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: emulator.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS ?? emulator.url,
    AWS_REGION: 'eu-west-1',
    GITHUB_ACTIONS: 'true',
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/api',
    GITHUB_WORKFLOW: 'api-errors',
    GITHUB_JOB: 'watch',
  }
}
