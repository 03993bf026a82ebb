/**
 * The rules file (`rules` input): read, parsed as YAML, validated against the schema (rule-schema.ts),
 * every value turned into the text its input would have, and where each value was written kept, so
 * that any error (here, or from settings.ts later) names the file, the line and the rule. All of it
 * before any network call.
 */
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { Validator } from '@cfworker/json-schema'
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml'
import { errorMessage, SettingsError } from '../errors.js'
import { INPUTS } from '../inputs.js'
import { RULE_INPUTS, rulesSchema, WEBHOOK_SECRETS_KEY } from './rule-schema.js'

/** A value of the file, as the text its input takes, and the line it was written on (1-based). */
export interface PlacedValue {
  text: string
  line: number
}

export interface RuleSource {
  name: string
  /** 0-based position in `rules`. */
  index: number
  /** The line of the rule's first key. */
  line: number
  /** Its own keys (input names, and slack-webhook-secrets), as input text. */
  values: Map<string, PlacedValue>
}

export interface RulesDocument {
  /** The path as the `rules` input gave it: what errors name. */
  file: string
  defaults: Map<string, PlacedValue>
  rules: RuleSource[]
}

/** A fault in the rules file: the message names the file, the line and the rule. */
export class RulesFileError extends SettingsError {
  constructor(file: string, line: number | undefined, rule: string | undefined, detail: string) {
    super('rules', `${file}${line ? `:${line}` : ''}: ${rule ? `${rule}: ` : ''}${detail}`)
    this.name = 'RulesFileError'
  }
}

/** Reads the file the `rules` input names, relative to the workspace (the checked-out repository). */
export function readRulesFile(path: string, env: Record<string, string | undefined>): RulesDocument {
  const full = isAbsolute(path) ? path : resolve(env.GITHUB_WORKSPACE || process.cwd(), path)
  let text: string
  try {
    text = readFileSync(full, 'utf8')
  } catch (error) {
    throw new SettingsError(
      'rules',
      `could not read ${path} (${errorMessage(error)}): give the path of the rules file relative to the repository root, and check the repository out first (actions/checkout).`,
    )
  }
  return parseRules(text, path)
}

const validator = new Validator(rulesSchema() as never, '7', false)

export function parseRules(text: string, file: string): RulesDocument {
  const lines = new LineCounter()
  // `<<` merge keys let rules share a block of settings beside `defaults`.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, merge: true })
  const lineAt = (offset: number): number => lines.linePos(offset).line
  const ruleItems = (): Node[] => {
    const rules = isMap(doc.contents) ? doc.contents.get('rules', true) : undefined
    return isSeq(rules) ? (rules.items as Node[]) : []
  }
  const syntax = doc.errors[0]
  if (syntax) {
    const offset = syntax.pos[0]
    const index = ruleItems().findIndex(
      (item) => item.range && item.range[0] <= offset && offset <= item.range[2],
    )
    const rule = index >= 0 ? describeRule(ruleItems()[index], index) : undefined
    throw new RulesFileError(file, lineAt(offset), rule, `not valid YAML: ${firstLine(syntax.message)}`)
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 })
  const result = validator.validate(data as never)
  if (!result.valid) {
    const error = mostSpecific(result.errors)
    const path = error.instanceLocation
      .replace(/^#\/?/, '')
      .split('/')
      .filter((part) => part !== '')
      .map((part) => decodeURIComponent(part.replace(/~1/g, '/').replace(/~0/g, '~')))
    const place = locate(doc.contents, path, error.keyword === 'false')
    const index = path[0] === 'rules' && path[1] !== undefined ? Number(path[1]) : undefined
    const rule = index === undefined ? undefined : describeRule(ruleItems()[index], index)
    throw new RulesFileError(file, place ? lineAt(place) : 1, rule, explain(error, path))
  }

  const parsed = data as { defaults?: Record<string, unknown>; rules: Record<string, unknown>[] }
  const contents = doc.contents as YAMLMap
  const defaultsNode = contents.get('defaults', true)
  const defaults = placedValues(parsed.defaults ?? {}, defaultsNode, lineAt)
  const seen = new Map<string, number>()
  const rules = ruleItems().map((item, index) => {
    const map = item as YAMLMap
    const values = placedValues(parsed.rules[index] ?? {}, map, lineAt)
    const name = (values.get('name') as PlacedValue).text
    values.delete('name')
    const line = lineAt(map.range?.[0] ?? 0)
    const earlier = seen.get(name)
    if (earlier !== undefined) {
      throw new RulesFileError(
        file,
        line,
        describeRule(item, index),
        `the name is already used by the rule on line ${earlier}; each rule needs a name of its own (it keys the rule's checkpoint).`,
      )
    }
    seen.set(name, line)
    return { name, index, line, values }
  })
  return { file, defaults, rules }
}

/** `rule "payments" (rules[3])`, or `rules[3]` for a rule without a usable name. */
function describeRule(item: Node | undefined, index: number): string {
  const name = isMap(item) ? item.get('name') : undefined
  return typeof name === 'string' && name !== '' ? `rule "${name}"` : `rule ${index + 1} (no name)`
}

/** The parser's message without its own position (the error already names the line). */
function firstLine(text: string): string {
  return (text.split('\n')[0] ?? text).replace(/ at line \d+, column \d+:?$/, '').trim()
}

interface SchemaError {
  instanceLocation: string
  keyword: string
  error: string
}

/** The error deepest in the document; among those, one about the value itself rather than `anyOf`. */
function mostSpecific(errors: readonly SchemaError[]): SchemaError {
  const depth = (error: SchemaError) => error.instanceLocation.split('/').length
  const deepest = Math.max(...errors.map(depth))
  const candidates = errors.filter((error) => depth(error) === deepest)
  return (
    candidates.find((error) => error.keyword !== 'anyOf' && error.keyword !== 'properties') ??
    (candidates[0] as SchemaError)
  )
}

/** The offset of the node at `path` (of its key, when `key`), or of the nearest node above it. */
function locate(node: unknown, path: readonly string[], key: boolean): number | undefined {
  let current = node
  let offset = (current as Node | undefined)?.range?.[0]
  for (const [i, part] of path.entries()) {
    if (isMap(current)) {
      const pair = current.items.find((item) => isScalar(item.key) && String(item.key.value) === part)
      if (!pair) return offset
      const keyNode = pair.key as Node
      if (key && i === path.length - 1) return keyNode.range?.[0] ?? offset
      current = pair.value
      offset = (current as Node | null)?.range?.[0] ?? keyNode.range?.[0] ?? offset
    } else if (isSeq(current)) {
      current = current.items[Number(part)]
      offset = (current as Node | undefined)?.range?.[0] ?? offset
    } else {
      return offset
    }
  }
  return offset
}

/** The schema's finding in words that say what to write instead. */
function explain(error: SchemaError, path: readonly string[]): string {
  const key = path[path.length - 1] ?? ''
  // `rate-thresholds.5xx` inside a rule or defaults; the top-level key itself otherwise.
  const inner = path[0] === 'rules' ? path.slice(2) : path.slice(1)
  const where = path.length === 0 ? 'the file' : inner.length > 0 ? inner.join('.') : key
  switch (error.keyword) {
    case 'false':
      return unknownKey(key, path.length <= 1)
    case 'required': {
      const missing = /"([^"]+)"/.exec(error.error)?.[1] ?? ''
      return missing === 'name'
        ? "has no name: give every rule a `name:` (unique; it keys the rule's checkpoint)."
        : `has no \`${missing}:\`; a rules file is a map with \`rules:\` (a list of rules) and, optionally, \`defaults:\`.`
    }
    case 'minItems':
      return `${where} is empty: give at least one.`
    case 'maxItems':
      return `${where} has too many items (${error.error}); split the rules over jobs (a matrix).`
    default:
      return `${where}: ${expected(path)} (${error.error.replace(/\.$/, '')}).`
  }
}

function expected(path: readonly string[]): string {
  const key = path.find((part) => part in RULE_INPUTS || part === WEBHOOK_SECRETS_KEY || part === 'name')
  if (key === 'name') return 'expected the rule name as text'
  if (key === WEBHOOK_SECRETS_KEY)
    return 'expected names of environment variables (like SLACK_PAYMENTS_WEBHOOK), one or a list'
  const kind = key ? RULE_INPUTS[key as keyof typeof RULE_INPUTS] : undefined
  switch (kind) {
    case 'list':
      return 'expected text or a list of text'
    case 'boolean':
      return 'expected true or false'
    case 'integer':
      return 'expected a whole number'
    case 'thresholds':
      return 'expected like `5xx=1, 4xx=50`, a whole number, or a map like `{5xx: 1, 4xx: 50}` (keys 5xx, 4xx, other, total; whole numbers)'
    case 'rate-thresholds':
      return 'expected like `5xx=1%`, or a map like `{5xx: 1%}` (keys 5xx, 4xx, other, total)'
    default:
      return 'expected text'
  }
}

function unknownKey(key: string, topLevel: boolean): string {
  if (topLevel)
    return `"${key}" is not a key of a rules file: it has \`rules:\` (a list of rules) and, optionally, \`defaults:\`.`
  if (key === 'slack-webhook-url')
    return `"slack-webhook-url" cannot be in the file: webhook URLs are secrets. Pass each to the step's env: and name the variable in ${WEBHOOK_SECRETS_KEY}.`
  if (key in INPUTS)
    return `"${key}" applies to the whole step, not to one rule: give it as an input of the action (with:).`
  return `"${key}" is not a rule setting; a rule's keys are name, ${WEBHOOK_SECRETS_KEY} and the action's inputs it may set (see schema/insights-watch-rules.schema.json).`
}

/**
 * A map's keys with their values as input text (from the parsed data, so aliases and merge keys are
 * resolved), each with the line of its key, or of the map for a key that came in by a merge.
 */
function placedValues(
  data: Record<string, unknown>,
  node: unknown,
  lineAt: (offset: number) => number,
): Map<string, PlacedValue> {
  const values = new Map<string, PlacedValue>()
  for (const [key, value] of Object.entries(data)) {
    const offset = locate(node, [key], true) ?? (node as Node | undefined)?.range?.[0] ?? 0
    values.set(key, { text: inputText(key, value), line: lineAt(offset) })
  }
  return values
}

/** A YAML value as the text its input would have in a workflow's `with:`. */
function inputText(key: string, value: unknown): string {
  if (Array.isArray(value)) return value.map(String).join('\n')
  if (value !== null && typeof value === 'object') {
    const rate = key === 'rate-thresholds'
    return Object.entries(value)
      .map(([severity, amount]) => {
        const text = String(amount).trim()
        return `${severity}=${rate && !text.endsWith('%') ? `${text}%` : text}`
      })
      .join(', ')
  }
  return String(value)
}
