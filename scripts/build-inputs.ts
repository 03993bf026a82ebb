/**
 * What dist/ is built from, and whether the committed dist/ was built from the files as they are now.
 *
 * `npm run build` (scripts/build.ts) writes dist/build-inputs.sha256 after ncc: one SHA-256 per build
 * input, in sha256sum's format (`<hex>  <path>`, paths from the repository root with `/`, sorted), so
 * `sha256sum -c dist/build-inputs.sha256` checks it by hand too. The demo, the end-to-end support and
 * the bench compare the files with that record by content, not by modification time: git gives every
 * file of a fresh clone the clone's time, which made a fresh clone's first demo rebuild dist/ (about a
 * minute) though the committed dist/ was built from exactly those files.
 *
 * The bytes are hashed as they are on disk; .gitattributes keeps text files LF in every checkout, so a
 * Windows clone hashes what a Linux one does. CI (.ci/run) rebuilds and fails when dist/ differs from
 * the commit, this record included, so a commit cannot carry a record that does not match its source.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** The record, relative to the repository root. */
export const BUILD_INPUTS_RECORD = 'dist/build-inputs.sha256'

/**
 * Files besides src/ whose content decides what ncc emits: the dependency tree (package.json, the
 * lock file), the TypeScript options, and the build procedure itself (ncc's flags, this list).
 */
const FIXED_INPUTS = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'scripts/build.ts',
  'scripts/build-inputs.ts',
] as const

/** The build's input files: every file under src/ (but dotfiles, e.g. an editor's swap file) and FIXED_INPUTS. */
export function buildInputs(root: string): string[] {
  const inputs: string[] = [...FIXED_INPUTS]
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue
      const path = `${dir}/${entry.name}`
      if (entry.isDirectory()) walk(path)
      else if (entry.isFile()) inputs.push(path)
    }
  }
  walk('src')
  // Code-unit order, the same in every locale.
  return inputs.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

/** The record of the inputs as they are now: `<sha256 hex>  <path>` per input, in buildInputs' order. */
export function buildInputsRecord(root: string): string {
  return buildInputs(root)
    .map(
      (path) =>
        `${createHash('sha256')
          .update(readFileSync(join(root, path)))
          .digest('hex')}  ${path}\n`,
    )
    .join('')
}

/** Writes the record into dist/; scripts/build.ts calls it after ncc. */
export function writeBuildInputsRecord(root: string): void {
  writeFileSync(join(root, BUILD_INPUTS_RECORD), buildInputsRecord(root))
}

export interface DistFreshness {
  /** True when dist/ was not built from the build inputs as they are now (or not built at all). */
  stale: boolean
  /** Why it is stale, for a log line; empty when it is fresh. */
  reason: string
  /** The inputs that differ from the record: changed, added or removed since the build. */
  changed: string[]
}

/** Whether dist/index.js was built from the build inputs as they are now, by content. */
export function distFreshness(root: string): DistFreshness {
  if (!existsSync(join(root, 'dist/index.js'))) {
    return { stale: true, reason: 'dist/index.js has not been built', changed: [] }
  }
  const recordPath = join(root, BUILD_INPUTS_RECORD)
  if (!existsSync(recordPath)) {
    return { stale: true, reason: `${BUILD_INPUTS_RECORD} is missing`, changed: [] }
  }
  const recorded = parseRecord(readFileSync(recordPath, 'utf8'))
  const current = parseRecord(buildInputsRecord(root))
  const changed = [...new Set([...recorded.keys(), ...current.keys()])]
    .filter((path) => recorded.get(path) !== current.get(path))
    .sort()
  if (changed.length === 0) return { stale: false, reason: '', changed }
  const shown = changed.slice(0, 3).join(', ') + (changed.length > 3 ? ` and ${changed.length - 3} more` : '')
  return { stale: true, reason: `changed since dist/ was built: ${shown}`, changed }
}

/** path → hash of a record; lines that are not `<hex>  <path>` are ignored. */
function parseRecord(text: string): Map<string, string> {
  const entries = new Map<string, string>()
  for (const line of text.split('\n')) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line)
    if (match?.[1] && match[2]) entries.set(match[2], match[1])
  }
  return entries
}
