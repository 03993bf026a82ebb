/**
 * `schema/insights-watch-rules.schema.json`: the rules file's JSON Schema (src/rules/rule-schema.ts)
 * with each key's description from action.yml, for editors (yaml-language-server, VS Code) to complete
 * and check a rules file. `npm run schema:rules` writes it; `-- --check` writes nothing and exits 1 when
 * the file is out of date (test/unit/rules/rules-file.test.ts runs it).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { rulesSchema } from '../src/rules/rule-schema.js'

const root = join(import.meta.dirname, '..')
export const SCHEMA_PATH = join(root, 'schema/insights-watch-rules.schema.json')

export function renderSchema(): string {
  const action = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { description?: string }>
  }
  return `${JSON.stringify(
    rulesSchema((input) => action.inputs[input]?.description?.trim()),
    null,
    2,
  )}\n`
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  const text = renderSchema()
  if (process.argv.includes('--check')) {
    const current = readFileSync(SCHEMA_PATH, 'utf8')
    if (current !== text) {
      console.error(`${SCHEMA_PATH} is out of date: run npm run schema:rules.`)
      process.exit(1)
    }
  } else {
    writeFileSync(SCHEMA_PATH, text)
    console.log(`${SCHEMA_PATH} written.`)
  }
}
