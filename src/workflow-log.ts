/**
 * Every line the action prints to the workflow log, made unable to act as a workflow command.
 *
 * The runner reads each line a step prints (stdout and stderr, split at `\n`, `\r\n` and a lone `\r`)
 * and acts on two forms (actions/runner, src/Runner.Common/ActionCommand.cs):
 * - `::name props::data` when the line, after leading white space (.NET `TrimStart`), starts with `::`;
 * - the legacy `##[name props]data` anywhere in the line.
 * Log text is written by whoever calls the API, so a request path of `##[add-mask]…` or a line break
 * followed by `::stop-commands::…` could mask text, fake annotations or stop command processing. Every
 * message goes through `inertForWorkflowLog` (in the runner port, src/runner.ts), and no other module
 * prints through `@actions/core`.
 */
/** U+FFFD, shown where a character that could hide part of a command was. */
const REPLACEMENT = '\uFFFD'

/**
 * Control characters (but tab), format characters and default-ignorable code points (zero-width
 * spaces and joiners, word joiner, BOM, variation selectors, bidi marks). The runner compares `##[`
 * and `::` with .NET's culture-sensitive `IndexOf`/`StartsWith`, which under ICU skips such characters,
 * so `#\u200B#[` would still read as `##[` (dotnet/runtime#46569: "\0 is a weightless character on
 * ICU"): they are replaced by a visible character ICU does not skip.
 * Control characters go too: ESC starts ANSI sequences that recolour or hide log lines.
 */
const HIDDEN_CHARACTERS = /[^\P{Cc}\t]|\p{Cf}|\p{Default_Ignorable_Code_Point}/gu

/** White space .NET's `TrimStart` removes before looking for `::` (JavaScript's `\s` plus NEL). */
const COMMAND_AT_LINE_START = /^([\s\u0085]*)::/
const LEGACY_COMMAND = /##\[/g

/**
 * `text` with no line the runner could take for a workflow command: in every line, hidden characters
 * become `�`, `::` at the start (after white space) becomes `:：`, and `##[` becomes `##［` (full-width
 * colon and bracket: they read the same, and .NET's comparison does not equate them with `:` and `[`,
 * since width is a difference it only ignores when asked to). Line breaks are kept as they are.
 */
export function inertForWorkflowLog(text: string): string {
  return text
    .split(/(\r\n|\r|\n)/)
    .map((part, index) =>
      // Odd indexes are the line breaks the split kept.
      index % 2 === 1
        ? part
        : part
            .replace(HIDDEN_CHARACTERS, REPLACEMENT)
            .replace(COMMAND_AT_LINE_START, '$1:\uFF1A')
            .replace(LEGACY_COMMAND, '##\uFF3B'),
    )
    .join('')
}
