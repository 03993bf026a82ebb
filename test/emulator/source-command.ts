/**
 * Logs Insights' `SOURCE logGroups(namePrefix: […], accountIdentifiers: […])` command
 * (CWL_QuerySyntax-Source): which log groups a query string selects itself. Only what the doc states
 * is implemented; `class`/`logGroupClass` (log group classes) is refused as outside the emulator.
 */
import { MalformedQueryError } from './query-language.js'

/** "You can specify up to five prefixes" and "up to 20 account identifiers" (SOURCE command doc). */
export const MAX_SOURCE_PREFIXES = 5
export const MAX_SOURCE_ACCOUNTS = 20
/** More matched groups than this: the service asks to reduce the number of log groups (SOURCE doc). */
export const MAX_SOURCE_GROUPS = 10_000

export interface SourceSelection {
  prefixes: string[]
  /** Empty: the monitoring account and every linked source account. */
  accounts: string[]
}

export interface SourceSplit {
  source: SourceSelection
  /** The query after SOURCE's `|`. */
  rest: string
  /** Where `rest` starts in the query string, for compile error offsets. */
  restOffset: number
}

/** True when the query string's first command is SOURCE (case-insensitive, after blank space). */
export function startsWithSource(queryString: string): boolean {
  return /^\s*source\b/i.test(queryString)
}

/** The SOURCE command at the start of `queryString` and the query after it; throws MalformedQueryError. */
export function splitSource(queryString: string): SourceSplit {
  let i = /^\s*source\b/i.exec(queryString)?.[0].length ?? 0
  const fail = (message: string): never => {
    throw new MalformedQueryError(`SOURCE: ${message}`, { startCharOffset: i, endCharOffset: i + 1 })
  }
  const blank = () => {
    while (i < queryString.length && /\s/.test(queryString.charAt(i))) i++
  }
  const expect = (text: string) => {
    blank()
    if (queryString.slice(i, i + text.length).toLowerCase() !== text.toLowerCase()) {
      fail(`expected ${text} at character ${i}`)
    }
    i += text.length
  }
  const word = (): string => {
    blank()
    const match = /^[A-Za-z]+/.exec(queryString.slice(i))
    if (!match) fail(`expected a parameter name at character ${i}`)
    i += (match as RegExpExecArray)[0].length
    return (match as RegExpExecArray)[0]
  }
  const string = (): string => {
    blank()
    const quote = queryString.charAt(i)
    if (quote !== "'" && quote !== '"') fail(`expected a quoted string at character ${i}`)
    let value = ''
    for (i++; i < queryString.length; i++) {
      const c = queryString.charAt(i)
      if (c === '\\' && i + 1 < queryString.length) value += queryString.charAt(++i)
      else if (c === quote) {
        i++
        return value
      } else value += c
    }
    return fail('unterminated string')
  }
  const list = (): string[] => {
    expect('[')
    const items: string[] = []
    blank()
    if (queryString.charAt(i) === ']') fail('an empty list')
    for (;;) {
      items.push(string())
      blank()
      if (queryString.charAt(i) === ']') break
      expect(',')
    }
    i++
    return items
  }

  expect('logGroups')
  expect('(')
  const lists = new Map<string, string[]>()
  for (;;) {
    const name = word()
    if (name === 'class' || name === 'logGroupClass') {
      fail(
        `${name} (log group classes) is outside the emulator; it implements namePrefix and accountIdentifiers`,
      )
    }
    if (name !== 'namePrefix' && name !== 'accountIdentifiers') {
      fail(`unknown parameter ${name}; logGroups takes namePrefix, accountIdentifiers, class`)
    }
    if (lists.has(name)) fail(`${name} is given twice`)
    expect(':')
    lists.set(name, list())
    blank()
    if (queryString.charAt(i) === ')') break
    expect(',')
  }
  i++
  const prefixes = lists.get('namePrefix')
  // CHOICE: namePrefix is required; the doc shows no SOURCE without it.
  if (!prefixes) fail('namePrefix is required')
  blank()
  let restOffset = i
  if (i < queryString.length) {
    if (queryString.charAt(i) !== '|') fail(`expected | after the SOURCE command at character ${i}`)
    restOffset = i + 1
  }
  return {
    source: { prefixes: prefixes as string[], accounts: lists.get('accountIdentifiers') ?? [] },
    rest: queryString.slice(restOffset),
    restOffset,
  }
}
