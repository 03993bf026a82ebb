/**
 * What the GitHub Actions runner makes of the lines a step prints: a model of its command parser
 * (actions/runner, src/Runner.Common/ActionCommand.cs `TryParseV2` and `TryParse`, and
 * src/Runner.Worker/ActionCommandManager.cs), for tests that check no log text becomes a command.
 *
 * The model errs on the runner's side: the runner finds `::` and `##[` with .NET's culture-sensitive
 * `StartsWith`/`IndexOf`, which under ICU skips control, format and other ignorable characters; the
 * model deletes them before it looks, so it finds every command the runner could and perhaps more.
 */

/** The commands the runner knows (its IActionCommandExtension list, plus `stop-commands`). */
const REGISTERED = new Set(
  [
    'add-mask',
    'add-matcher',
    'add-path',
    'debug',
    'echo',
    'endgroup',
    'error',
    'group',
    'notice',
    'remove-matcher',
    'save-state',
    'set-env',
    'set-output',
    'stop-commands',
    'warning',
    'internal-set-repo-path',
  ].map((name) => name.toLowerCase()),
)

export interface ParsedCommand {
  /** `::name::` or the legacy `##[name]`. */
  form: 'v2' | 'legacy'
  name: string
  properties: Record<string, string>
  data: string
  line: string
}

/** The runner's lines: split at `\r\n`, `\n` and a lone `\r` (.NET's line reading). */
export function runnerLines(output: string): string[] {
  return output.split(/\r\n|\r|\n/)
}

/** ICU's ignorable characters, as the model deletes them (tab and line breaks are not ignorable). */
const IGNORABLE = /[^\P{Cc}\t\n\v\f\r]|\p{Cf}|\p{Default_Ignorable_Code_Point}/gu

/** The command the runner would find in one line, if any. */
export function parseRunnerLine(rawLine: string): ParsedCommand | undefined {
  const line = rawLine.replace(IGNORABLE, '')
  return parseV2(line, rawLine) ?? parseLegacy(line, rawLine)
}

/** Every command the runner would find in what a step printed. */
export function workflowCommands(output: string): ParsedCommand[] {
  return runnerLines(output).flatMap((line) => {
    const command = parseRunnerLine(line)
    return command ? [command] : []
  })
}

function parseV2(input: string, rawLine: string): ParsedCommand | undefined {
  // .NET's TrimStart: Unicode white space, NEL included.
  const message = input.replace(/^[\s\u0085]+/, '')
  if (!message.startsWith('::')) return undefined
  const end = message.indexOf('::', 2)
  if (end < 0) return undefined
  const info = message.slice(2, end)
  const space = info.indexOf(' ')
  const name = space < 0 ? info : info.slice(0, space)
  if (!REGISTERED.has(name.toLowerCase())) return undefined
  const properties: Record<string, string> = {}
  if (space > 0) {
    for (const pair of info
      .slice(space + 1)
      .trim()
      .split(',')) {
      const [key, value] = splitOnce(pair, '=')
      if (key && value) properties[key] = value
    }
  }
  return { form: 'v2', name, properties, data: message.slice(end + 2), line: rawLine }
}

function parseLegacy(message: string, rawLine: string): ParsedCommand | undefined {
  const prefix = message.indexOf('##[')
  if (prefix < 0) return undefined
  const close = message.indexOf(']', prefix)
  if (close < 0) return undefined
  const info = message.slice(prefix + 3, close)
  const space = info.indexOf(' ')
  const name = space < 0 ? info : info.slice(0, space)
  if (!REGISTERED.has(name.toLowerCase())) return undefined
  const properties: Record<string, string> = {}
  if (space > 0) {
    for (const pair of info.slice(space + 1).split(';')) {
      const [key, value] = splitOnce(pair, '=')
      if (key && value) properties[key] = value
    }
  }
  return { form: 'legacy', name, properties, data: message.slice(close + 1), line: rawLine }
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator)
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + separator.length)]
}
