/**
 * The layers of src/ as docs/architecture.md draws them, held: each module listed there once, and
 * dependencies pointing down (madge, in .ci/run, holds that there are no cycles; this holds which way
 * the edges go).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const src = join(root, 'src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  )
}

const modules = sourceFiles(src).map((file) => relative(src, file).replaceAll('\\', '/'))

/** Each module's imports: `src/`-relative paths for its own modules, package names for the rest. */
function importsOf(module: string): { path: string; typeOnly: boolean; dynamic: boolean }[] {
  const text = readFileSync(join(src, module), 'utf8')
  const found: { path: string; typeOnly: boolean; dynamic: boolean }[] = []
  for (const match of text.matchAll(
    /^(import|export)(\s+type)?[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/gms,
  )) {
    const specifier = match[3] ?? match[4] ?? ''
    const typeOnly = match[2] !== undefined
    found.push({
      path: specifier.startsWith('.')
        ? relative(src, resolve(dirname(join(src, module)), specifier))
            .replace(/\.js$/, '.ts')
            .replaceAll('\\', '/')
        : specifier,
      typeOnly,
      dynamic: match[4] !== undefined,
    })
  }
  return found
}

describe('docs/architecture.md', () => {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8')
  const listed = [...doc.matchAll(/^\| `src\/([^`]+\.ts)` \|/gm)].map((match) => match[1])

  it('lists every module in src/ once, and no module that is gone', () => {
    expect([...listed].sort()).toEqual([...modules].sort())
  })
})

describe('dependencies point down', () => {
  it('only src/runner.ts calls @actions/core (others may name its types)', () => {
    const callers = modules.filter((module) =>
      importsOf(module).some((edge) => edge.path === '@actions/core' && !edge.typeOnly),
    )
    expect(callers).toEqual(['runner.ts'])
  })

  it('the Slack Web API and GitHub clients are loaded only when used (a webhook run never loads them)', () => {
    const lazy = new Set(['@slack/web-api', '@actions/github'])
    const eager = modules.flatMap((module) =>
      importsOf(module)
        .filter((edge) => lazy.has(edge.path) && !edge.typeOnly && !edge.dynamic)
        .map((edge) => `${module} → ${edge.path}`),
    )
    expect(eager).toEqual([])
  })

  it('only the entry runs the flow: main.ts is imported by index.ts alone, steps/ by main.ts and steps/', () => {
    for (const module of modules) {
      for (const { path } of importsOf(module)) {
        if (path === 'main.ts') expect(module).toBe('index.ts')
        if (path.startsWith('steps/'))
          expect(module === 'main.ts' || module.startsWith('steps/'), `${module} → ${path}`).toBe(true)
      }
    }
  })

  it('the query layer (insights/) never reaches up to reports, messages, state or settings', () => {
    const above = /^(notify|state|steps|aws)\/|^(report|main|settings|run-deps|failure-notices|outputs)\.ts$/
    const upward = modules
      .filter((module) => module.startsWith('insights/'))
      .flatMap((module) =>
        importsOf(module)
          .filter((edge) => above.test(edge.path))
          .map((edge) => `${module} → ${edge.path}`),
      )
    expect(upward).toEqual([])
  })

  it('the state layer (state/) never imports messages, steps or the flow', () => {
    const above = /^(steps)\/|^(main|run-deps|failure-notices)\.ts$|^notify\/(?!missed-deliveries)/
    const upward = modules
      .filter((module) => module.startsWith('state/'))
      .flatMap((module) =>
        importsOf(module)
          .filter((edge) => above.test(edge.path))
          .map((edge) => `${module} → ${edge.path}`),
      )
    expect(upward).toEqual([])
  })
})
