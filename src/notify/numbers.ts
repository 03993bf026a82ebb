/**
 * Numbers as people read them in the Slack message, the job summary and cut marks. Intl-free on
 * purpose: the first toLocaleString of a process loads ICU's locale data, tens of milliseconds of a
 * run that has nothing else to wait for.
 */

/** An integer with thousands separators, `12,345`: what `toLocaleString('en-US')` gives, without it. */
export function count(n: number): string {
  // Anything but a safe integer (never a count) still goes through toLocaleString.
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US')
  const digits = String(Math.abs(n))
  let text = digits.slice(0, digits.length % 3 || 3)
  for (let i = text.length; i < digits.length; i += 3) text += `,${digits.slice(i, i + 3)}`
  return n < 0 ? `-${text}` : text
}

/** `1.2 GB`: decimal units, as CloudWatch Logs prices data scanned. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit += 1
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1
  return `${value.toFixed(digits)} ${units[unit]}`
}
