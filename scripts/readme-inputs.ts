/**
 * README.md's tables of inputs and outputs, generated from action.yml, whose descriptions are the one
 * source. `npm run docs:inputs` rewrites each table between its marker comments
 * (`<!-- inputs:start -->` … `<!-- inputs:end -->`, the same for outputs) and leaves the rest of the
 * README alone; `npm run docs:inputs -- --check` writes nothing and exits 1 when README.md is out of
 * date (test/unit/readme-inputs.test.ts runs it, so CI catches a description changed in one place
 * only). An optional last argument names another directory holding action.yml and README.md.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parse } from 'yaml'

interface ActionYml {
  inputs?: Record<string, { description?: string; required?: boolean; default?: unknown }>
  outputs?: Record<string, { description?: string }>
}

/** README.md with its inputs and outputs tables as action.yml (its text) says. */
export function renderReadme(readme: string, actionYml: string): string {
  const action = parse(actionYml) as ActionYml
  const inputs = Object.entries(action.inputs ?? {}).map(([name, input]) => [
    code(name),
    defaultCell(input),
    cell(input.description ?? ''),
  ])
  const outputs = Object.entries(action.outputs ?? {}).map(([name, output]) => [
    code(name),
    cell(output.description ?? ''),
  ])
  const withInputs = replaceBetweenMarkers(
    readme,
    'inputs',
    table(['input', 'default', 'description'], inputs),
  )
  return replaceBetweenMarkers(withInputs, 'outputs', table(['output', 'description'], outputs))
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [line(header), `|${header.map(() => '---|').join('')}`, ...rows.map(line)].join('\n')
}

/** `required`, the default as a code span, or a dash when action.yml gives neither. */
function defaultCell(input: { required?: boolean; default?: unknown }): string {
  const parts: string[] = []
  if (input.required === true) parts.push('**required**')
  if (input.default !== undefined && input.default !== null) {
    const value = String(input.default)
    parts.push(value === '' ? '*empty*' : code(value))
  }
  return parts.length > 0 ? parts.join(', ') : '—'
}

/**
 * Markdown text as one table cell: a `|` would end the cell (escaped, in code spans too, as GFM
 * tables require), a newline the row (a `<br>`; a space inside a code span, as Markdown reads it), and
 * a `<` outside code spans could open raw HTML that GitHub drops (`<run id>`), so it is `&lt;`.
 */
export function cell(text: string): string {
  const trimmed = text.trim()
  // A code span: a backtick run, text, the same run.
  const codeSpan = /(?<!`)(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g
  let escaped = ''
  let last = 0
  for (const span of trimmed.matchAll(codeSpan)) {
    escaped += prose(trimmed.slice(last, span.index)) + span[0].replace(/\r?\n/g, ' ')
    last = span.index + span[0].length
  }
  escaped += prose(trimmed.slice(last))
  return escaped.replaceAll('|', '\\|')
}

/** Text outside code spans: no raw HTML, no line breaks. */
function prose(text: string): string {
  return text.replaceAll('<', '&lt;').replace(/\r?\n/g, '<br>')
}

/** A code span holding `text` exactly: fenced by more backticks than any run inside it. */
function code(text: string): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longestRun + 1)
  const padding = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${fence}${padding}${text}${padding}${fence}`.replaceAll('|', '\\|')
}

/** Replaces what lies between `<!-- name:start -->` and `<!-- name:end -->` with `content`. */
function replaceBetweenMarkers(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const from = text.indexOf(start)
  const to = text.indexOf(end)
  if (from === -1 || to < from) {
    throw new Error(`README.md has no ${start} … ${end} markers around its ${name} table.`)
  }
  return `${text.slice(0, from + start.length)}\n\n${content}\n\n${text.slice(to)}`
}

function main(args: string[]): number {
  const check = args.includes('--check')
  const root = args.filter((arg) => arg !== '--check')[0] ?? resolve(import.meta.dirname, '..')
  const readmePath = join(root, 'README.md')
  const readme = readFileSync(readmePath, 'utf8')
  const rendered = renderReadme(readme, readFileSync(join(root, 'action.yml'), 'utf8'))
  if (rendered === readme) {
    console.log('README.md: the inputs and outputs tables match action.yml.')
    return 0
  }
  if (check) {
    console.error(
      "README.md: the inputs or outputs table differs from action.yml's; run `npm run docs:inputs` (and edit descriptions in action.yml, not in the README).",
    )
    return 1
  }
  writeFileSync(readmePath, rendered)
  console.log('README.md: the inputs and outputs tables were regenerated from action.yml.')
  return 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    process.exitCode = main(process.argv.slice(2))
  } catch (error) {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  }
}
