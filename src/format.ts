/**
 * How times, durations, counts and sizes read in the log, the job summary and Slack: one place, so
 * the same figure never prints two ways. Intl-free on purpose: the first toLocaleString of a process
 * loads ICU's locale data, tens of milliseconds of a run that has nothing else to wait for.
 */

/** ISO 8601 (UTC) of an epoch second, as the outputs and messages show it. */
export function isoSecond(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z')
}

/** `10:42 UTC`: the time of day of an epoch second, where the window around it gives the date. */
export function clockTime(epochSeconds: number): string {
  return `${isoSecond(epochSeconds).slice(11, 16)} UTC`
}

/** The units a duration input is written in (`90s`, `5m`, `1h30m`, `7d`), in seconds. */
export const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** `3900` → `1h5m`: durations in messages read the way they are written in inputs. */
export function formatDuration(totalSeconds: number): string {
  if (totalSeconds === 0) return '0s'
  let rest = totalSeconds
  let text = ''
  for (const [unit, size] of Object.entries(DURATION_UNITS).reverse()) {
    if (rest >= size) {
      text += `${Math.floor(rest / size)}${unit}`
      rest %= size
    }
  }
  return text
}

/** `1.5 s`: how long something took or will wait, in the log. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

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

/**
 * `$0.0062`: an estimated cost in US dollars. Cents for a dollar or more; below that two significant
 * digits, since one run's scan usually costs a fraction of a cent.
 */
export function formatDollars(amount: number): string {
  if (amount === 0) return '$0'
  if (amount >= 1) return `$${amount.toFixed(2)}`
  const rounded = Number(amount.toPrecision(2))
  return `$${rounded.toFixed(Math.max(2, 1 - Math.floor(Math.log10(rounded))))}`
}

/** What scanning `bytes` costs at `pricePerGb` dollars per GB (decimal, as CloudWatch Logs bills it). */
export function scanCost(bytes: number, pricePerGb: number): number {
  return (bytes / 1e9) * pricePerGb
}
