/**
 * What `overlap` costs: the bytes a run scans again to catch late logs, as a ratio to what it would
 * scan without them. Two runs five minutes apart over a steady stream of access logs, on the
 * emulator's shifted clock (steady-runs.ts); the second run's bytes scanned with `overlap: 2m` against
 * `overlap: 0s`.
 */
import { secondOfTwoRuns } from './steady-runs.js'

/** Bytes scanned by the second of two runs five minutes apart, with this overlap. */
async function secondRunBytes(overlap: string): Promise<number> {
  const { run } = await secondOfTwoRuns({ logGroups: ['/aws/apigateway/prod-access'], inputs: { overlap } })
  const bytes = /<th>Bytes scanned<\/th><td>[^(]*\(([\d,]+) bytes\)/.exec(run.summary)?.[1]
  if (bytes === undefined)
    throw new Error(`overlap ${overlap}: no bytes scanned in the summary\n${run.stdout}`)
  return Number(bytes.replaceAll(',', ''))
}

export async function overlapExtraBytes(): Promise<{ withOverlap: number; without: number; ratio: number }> {
  const withOverlap = await secondRunBytes('2m')
  const without = await secondRunBytes('0s')
  return { withOverlap, without, ratio: withOverlap / without - 1 }
}
