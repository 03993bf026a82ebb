/**
 * Helpers for `npm run bench`: spawning a bundled script (the action's dist/index.js, or the reference
 * client) the way a runner spawns an action, bundling bench scripts, and small statistics.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { captureOutput, parseOutputs, runnerEnv } from '../test/support/run-action.js'

export const root = resolve(import.meta.dirname, '..')
const rssProbe = pathToFileURL(resolve(import.meta.dirname, 'rss-probe.mjs')).href

export interface ProcessRun {
  /** Date.now() just before spawn(): the emulator's calls[].at is on the same clock. */
  spawnedAt: number
  /** Date.now() at the child's 'exit' event. */
  exitedAt: number
  wallMs: number
  exitCode: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  /** GITHUB_OUTPUT, parsed. */
  outputs: Record<string, string>
  /** Peak RSS of the child (rss-probe.mjs), when asked for. */
  maxRssKb?: number
  /** RUNNER_TEMP of the run; removed by cleanup(). */
  runnerTemp: string
  cleanup(): void
}

export interface ProcessOptions {
  node: string
  /** The script: dist/index.js, or a bundle built by bundle(). */
  script: string
  /** Action inputs by their action.yml names, passed as INPUT_<NAME> like the runner does. */
  inputs?: Record<string, string>
  env?: Record<string, string>
  /** Preload rss-probe.mjs and read the child's peak RSS. */
  rss?: boolean
  nodeArgs?: string[]
  timeoutMs?: number
}

/**
 * Runs a script as a runner runs an action (runnerEnv of test/support/run-action.ts: INPUT_*
 * variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, RUNNER_TEMP, no AWS settings of this
 * machine; plus GITHUB_WORKSPACE), timing it from spawn() to exit.
 */
export async function runProcess(options: ProcessOptions): Promise<ProcessRun> {
  const { env, runnerTemp, outputFile } = runnerEnv({
    inputs: options.inputs,
    env: options.env,
    tempPrefix: 'insights-watch-bench-runner-',
    workspace: true,
  })
  const rssFile = join(runnerTemp, 'rss.json')
  const args = [...(options.nodeArgs ?? [])]
  if (options.rss) {
    env.BENCH_RSS_FILE = rssFile
    args.push('--import', rssProbe)
  }
  args.push(options.script)

  const spawnedAt = Date.now()
  const child = spawn(options.node, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = captureOutput(child)
  const killTimer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
  let exitedAt = 0
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => {
    child.on('exit', () => {
      exitedAt = Date.now()
    })
    child.on('close', (code, sig) => done([code, sig]))
  })
  clearTimeout(killTimer)
  const run: ProcessRun = {
    spawnedAt,
    exitedAt,
    wallMs: exitedAt - spawnedAt,
    exitCode,
    signal,
    ...output,
    outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
    runnerTemp,
    cleanup: () => rmSync(runnerTemp, { recursive: true, force: true }),
  }
  if (options.rss && existsSync(rssFile)) {
    run.maxRssKb = (JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRssKb: number }).maxRssKb
  }
  return run
}

/** The last lines a failed run printed, for the bench's log. */
export function tail(run: ProcessRun, lines = 12): string {
  return `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('::add-mask::'))
    .slice(-lines)
    .join('\n')
}

/** Runs a command, resolving with its exit code and output. */
export function exec(
  command: string,
  args: string[],
  cwd = root,
): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk
    })
    child.on('close', (code) => done({ code, output }))
  })
}

/**
 * Bundles a bench script with ncc, as dist/index.js is bundled, into a temporary directory: run as one
 * file like the action, not through a TypeScript loader (tsx alone adds tens of MB of RSS and
 * start-up). Transpile-only, so the bundle does not wait on a type check of the whole project. Kept
 * under the OS temporary directory by a hash of everything it can include (bench/, src/, the lock
 * file), so a second bench run with the same sources skips the build.
 */
export async function bundle(entry: string): Promise<string> {
  const hash = createHash('sha256').update(entry)
  for (const file of [
    ...sourceFiles(join(root, 'bench')),
    ...sourceFiles(join(root, 'src')),
    join(root, 'test/support/access-logs.ts'),
    join(root, 'package-lock.json'),
  ]) {
    hash.update(file).update(readFileSync(file))
  }
  const outDir = join(tmpdir(), 'insights-watch-bench-bundles', hash.digest('hex').slice(0, 16))
  const script = join(outDir, 'index.js')
  if (existsSync(script)) return script
  const ncc = join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js')
  const { code, output } = await exec(process.execPath, [ncc, 'build', entry, '-o', outDir, '-q', '-t'])
  if (code !== 0 || !existsSync(script)) throw new Error(`ncc build ${entry} failed:\n${output}`)
  return script
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

export interface Sample {
  median: number
  min: number
  max: number
  samples: number[]
}

export function sample(values: readonly number[]): Sample {
  const rounded = values.map((value) => Math.round(value * 10) / 10)
  return {
    median: Math.round(median(values) * 10) / 10,
    min: Math.min(...rounded),
    max: Math.max(...rounded),
    samples: rounded,
  }
}
