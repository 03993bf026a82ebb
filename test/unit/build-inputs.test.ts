import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  BUILD_INPUTS_RECORD,
  buildInputs,
  buildInputsRecord,
  distFreshness,
  writeBuildInputsRecord,
} from '../../scripts/build-inputs.js'

/** A repository in miniature: the build inputs, and a dist/ built from them. */
let root: string

function write(path: string, text: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true })
  writeFileSync(join(root, path), text)
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'insights-watch-build-inputs-'))
  write('package.json', '{"name":"x","type":"module"}\n')
  write('package-lock.json', '{"lockfileVersion":3}\n')
  write('tsconfig.json', '{}\n')
  write('scripts/build.ts', '// build\n')
  write('scripts/build-inputs.ts', '// inputs\n')
  write('src/index.ts', "import { run } from './main.js'\nawait run()\n")
  write('src/main.ts', 'export async function run() {}\n')
  write('src/state/open.ts', 'export const open = 1\n')
  write('dist/index.js', '// bundle\n')
  writeBuildInputsRecord(root)
})

afterEach(() => {
  rmSync(root, { recursive: true, force: true })
})

/** Moves a file's modification time an hour ahead, leaving its content alone. */
function touch(path: string): void {
  const later = new Date(Date.now() + 3_600_000)
  utimesSync(join(root, path), later, later)
}

describe('distFreshness', () => {
  it('is fresh right after the build', () => {
    expect(distFreshness(root)).toEqual({ stale: false, reason: '', changed: [] })
  })

  it('is stale when a source file changed, and names it', () => {
    write('src/main.ts', 'export async function run() { return 1 }\n')
    expect(distFreshness(root)).toEqual({
      stale: true,
      reason: 'changed since dist/ was built: src/main.ts',
      changed: ['src/main.ts'],
    })
  })

  it('is fresh when files were touched but not changed (a fresh clone gives every file the same time)', () => {
    for (const path of buildInputs(root)) touch(path)
    const past = new Date(Date.UTC(2020, 0, 1))
    utimesSync(join(root, 'dist/index.js'), past, past)
    utimesSync(join(root, BUILD_INPUTS_RECORD), past, past)
    expect(distFreshness(root).stale).toBe(false)
  })

  it('is stale when a source file was added or removed', () => {
    write('src/notify/new.ts', 'export {}\n')
    rmSync(join(root, 'src/state/open.ts'))
    expect(distFreshness(root).changed).toEqual(['src/notify/new.ts', 'src/state/open.ts'])
  })

  it('is stale when the lock file, package.json, tsconfig.json or the build script changed', () => {
    for (const path of ['package-lock.json', 'package.json', 'tsconfig.json', 'scripts/build.ts']) {
      writeBuildInputsRecord(root)
      write(path, `${readFileSync(join(root, path), 'utf8')} `)
      expect(distFreshness(root).changed).toEqual([path])
    }
  })

  it('ignores dotfiles under src/ (an editor swap file is not a build input)', () => {
    write('src/.main.ts.swp', 'swap')
    expect(distFreshness(root).stale).toBe(false)
  })

  it('is stale when dist/ was not built, or has no record', () => {
    rmSync(join(root, BUILD_INPUTS_RECORD))
    expect(distFreshness(root)).toMatchObject({ stale: true, reason: `${BUILD_INPUTS_RECORD} is missing` })
    rmSync(join(root, 'dist/index.js'))
    expect(distFreshness(root)).toMatchObject({ stale: true, reason: 'dist/index.js has not been built' })
  })
})

describe('the record', () => {
  it("is sha256sum's format, paths sorted from the root with '/'", () => {
    expect(buildInputsRecord(root).split('\n').filter(Boolean)).toEqual(
      [
        'package-lock.json',
        'package.json',
        'scripts/build-inputs.ts',
        'scripts/build.ts',
        'src/index.ts',
        'src/main.ts',
        'src/state/open.ts',
        'tsconfig.json',
      ].map((path) => expect.stringMatching(new RegExp(`^[0-9a-f]{64}  ${path.replaceAll('.', '\\.')}$`))),
    )
  })

  it.skipIf(!hasSha256sum())('is what `sha256sum --check --strict` checks', () => {
    const check = () =>
      spawnSync('sha256sum', ['--check', '--quiet', '--strict', BUILD_INPUTS_RECORD], {
        cwd: root,
        encoding: 'utf8',
      })
    expect(check()).toMatchObject({ status: 0, stdout: '' })
    write('src/main.ts', 'changed\n')
    expect(check()).toMatchObject({ status: 1, stdout: 'src/main.ts: FAILED\n' })
  })
})

function hasSha256sum(): boolean {
  try {
    execFileSync('sha256sum', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
