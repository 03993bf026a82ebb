/**
 * Renders what the action produced for a person at a terminal: the Slack message as Slack would
 * show it (colour bar, bold, links), and the job summary's HTML as plain text tables.
 */

const useColor = process.stdout.isTTY && !process.env.NO_COLOR
const ansi = (code: string) => (text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text)
export const bold = ansi('1')
export const dim = ansi('2')
const underline = ansi('4')

function colorBar(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16))
  return useColor ? `\x1b[38;2;${r};${g};${b}m▌\x1b[0m ` : '▌ '
}

/** Slack mrkdwn → terminal text: *bold*, `code`, <url|label> links, and the &amp; &lt; &gt; escapes. */
function mrkdwn(text: string): string {
  return text
    .replace(
      /<([^<>|]+)\|([^<>]+)>/g,
      (_, url: string, label: string) => `${underline(label)} ${dim(`(${url})`)}`,
    )
    .replace(/(^|[\s(])\*([^*\n]+)\*/g, (_, before: string, inner: string) => `${before}${bold(inner)}`)
    .replace(/`([^`\n]+)`/g, (_, inner: string) => dim(inner))
    .replace(/\u200b/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
}

interface Text {
  text: string
}
interface Block {
  type: string
  text?: Text
  fields?: Text[]
  elements?: Text[]
}
interface Message {
  text?: string
  attachments?: Array<{ color?: string; blocks?: Block[] }>
  blocks?: Block[]
}

export function renderSlackMessage(message: Message): string {
  const lines: string[] = []
  if (message.text) lines.push(mrkdwn(message.text), '')
  for (const attachment of message.attachments ?? [{ blocks: message.blocks ?? [] }]) {
    const bar = colorBar(attachment.color ?? '#9e9e9e')
    for (const block of attachment.blocks ?? []) {
      const body: string[] = []
      if (block.type === 'header') body.push(bold(block.text?.text ?? ''))
      else if (block.type === 'divider') body.push(dim('─'.repeat(60)))
      else if (block.type === 'context')
        body.push(dim((block.elements ?? []).map((e) => mrkdwn(e.text)).join('  ·  ')))
      else {
        if (block.text) body.push(mrkdwn(block.text.text))
        for (const field of block.fields ?? []) body.push(mrkdwn(field.text))
      }
      for (const line of body.join('\n').split('\n')) lines.push(`${bar}${line}`)
      lines.push(bar)
    }
  }
  return lines.join('\n')
}

const entities: Record<string, string> = {
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
  '&quot;': '"',
  '&#39;': "'",
  '&#124;': '|',
  '&#96;': '`',
}

function decode(text: string): string {
  return text.replace(
    /&(lt|gt|amp|quot|#39|#124|#96|#\d+);/g,
    (entity) => entities[entity] ?? String.fromCharCode(Number(entity.slice(2, -1))),
  )
}

/** The job summary (HTML as @actions/core writes it) as text: headings, aligned tables, code, links. */
export function renderSummary(html: string): string {
  // Tables are laid out from decoded text and put back last (behind private-use markers), so log text in
  // them is never read as markup.
  const tables: string[] = []
  const withoutTables = html.replace(/<table>([\s\S]*?)<\/table>/g, (_, table: string) => {
    tables.push(renderTable(table))
    return `\n\uE000${tables.length - 1}\uE000\n`
  })
  const text = withoutTables
    .replace(
      /<h(\d)>([\s\S]*?)<\/h\1>/g,
      (_, level: string, inner: string) => `\n${bold(`${'#'.repeat(Number(level))} ${inner}`)}\n`,
    )
    .replace(/<pre[^>]*><code>([\s\S]*?)<\/code><\/pre>/g, (_, code: string) => `\n${dim(code)}\n`)
    .replace(
      /<a href="([^"]*)">([\s\S]*?)<\/a>/g,
      (_, url: string, label: string) => `${underline(label)} ${dim(`(${url})`)}`,
    )
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<\/(p|div|li|details|summary)>/g, '\n')
  const lines: string[] = []
  for (const line of decode(stripTags(text)).split('\n')) {
    if (line.trim() !== '' || lines.at(-1)?.trim() !== '') lines.push(line)
  }
  return lines
    .join('\n')
    .replace(/\uE000(\d+)\uE000/g, (_, index: string) => tables[Number(index)] ?? '')
    .trim()
}

function renderTable(table: string): string {
  const rows = [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...(row[1] ?? '').matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) =>
      decode(stripTags((cell[1] ?? '').replace(/<br\s*\/?>/g, ' '))),
    ),
  )
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.min(60, Math.max(widths[i] ?? 0, cell.length))
    })
  }
  return rows
    .map((row, r) => {
      const line = row
        .map((cell, i) => (cell.length > 60 ? `${cell.slice(0, 59)}…` : cell).padEnd(widths[i] ?? 0))
        .join('  ')
      return r === 0 ? bold(line) : line
    })
    .join('\n')
}

function stripTags(text: string): string {
  return text.replace(/<[^<>]*>/g, '')
}
