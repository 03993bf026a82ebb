import {
  DescribeLogGroupsCommand,
  type DescribeLogGroupsCommandInput,
  ListLogGroupsForQueryCommand,
} from '@aws-sdk/client-cloudwatch-logs'
import { describe, expect, it } from 'vitest'
import {
  sourceCommand,
  sourceLabels,
  sourceSelects,
  usesFilterIndex,
  withSource,
} from '../../../src/insights/source.js'
import type { QueryRun } from '../../../src/insights/types.js'
import {
  type GroupListClient,
  MAX_LISTED_GROUPS,
  unanalyzedGroups,
} from '../../../src/insights/unanalyzed.js'
import { logsInsightsConsoleUrl } from '../../../src/notify/console-link.js'
import { warnFilterIndexSkips } from '../../../src/steps/query.js'

const A = '111122223333'
const B = '444455556666'
const arn = (account: string, name: string) => `arn:aws:logs:eu-west-1:${account}:log-group:${name}`

describe('the SOURCE command', () => {
  it('names the prefixes and accounts, before the query on a line of its own', () => {
    const source = { prefixes: ['/aws/apigateway/', '/custom/'], accounts: [A, B] }
    expect(withSource('fields @timestamp # first line\n| filter status >= 400', source)).toBe(
      `SOURCE logGroups(namePrefix: ['/aws/apigateway/', '/custom/'], accountIdentifiers: ['${A}', '${B}'])\n` +
        '| fields @timestamp # first line\n| filter status >= 400',
    )
  })

  it('leaves accountIdentifiers out when no account is given (every linked account)', () => {
    expect(sourceCommand({ prefixes: ['/aws/'], accounts: [] })).toBe(
      "SOURCE logGroups(namePrefix: ['/aws/'])",
    )
  })

  it('escapes quotes and backslashes, so no prefix can end its string early', () => {
    expect(sourceCommand({ prefixes: ["/a'], x: ['", '\\'], accounts: [] })).toBe(
      "SOURCE logGroups(namePrefix: ['/a\\'], x: [\\'', '\\\\'])",
    )
  })

  it('labels each prefix with its accounts, as the summary, Slack and errors show it', () => {
    expect(sourceLabels({ prefixes: ['/aws/apigateway/'], accounts: [A, B] })).toEqual([
      `/aws/apigateway/* (prefix, accounts ${A}, ${B})`,
    ])
    expect(sourceLabels({ prefixes: ['/a/', '/b/'], accounts: [] })).toEqual([
      '/a/* (prefix, every linked account)',
      '/b/* (prefix, every linked account)',
    ])
  })

  it('knows which named groups a prefix already selects, by account for ARNs', () => {
    const source = { prefixes: ['/aws/apigateway/'], accounts: [A] }
    expect(sourceSelects(source, '/aws/apigateway/prod')).toBe(true)
    expect(sourceSelects(source, arn(A, '/aws/apigateway/prod'))).toBe(true)
    expect(sourceSelects(source, arn(B, '/aws/apigateway/prod'))).toBe(false)
    expect(sourceSelects(source, '/aws/lambda/fn')).toBe(false)
  })

  it('finds filterIndex as a command, not in a string or a comment', () => {
    expect(usesFilterIndex('fields @message | filterIndex requestId = "x"')).toBe(true)
    expect(usesFilterIndex('fields @message | filter @message like "filterIndex"')).toBe(false)
    expect(usesFilterIndex('fields @message # | filterIndex x = 1\n| limit 5')).toBe(false)
  })
})

describe('the console link with prefixes', () => {
  it('keeps the named groups as the source and names the prefixes in a comment on the first line', () => {
    const url = logsInsightsConsoleUrl({
      region: 'eu-west-1',
      logGroups: ['/named'],
      query: 'fields @message',
      window: { start: 1_700_000_000, end: 1_700_000_300 },
      source: { prefixes: ['/aws/apigateway/'], accounts: [A] },
    })
    expect(url).toContain("source~(~'*2fnamed)")
    expect(url).toContain(`editorString~'*23*20`)
    expect(url).toContain(`*2faws*2fapigateway*2f*2a*20*28prefix*2c*20account*20${A}*29`)
  })
})

/** ListLogGroupsForQuery and DescribeLogGroups answered from lists, paged as the service pages. */
function groupListClient(analyzed: string[], existing: Array<{ account: string; name: string }>) {
  const calls: string[] = []
  const client = {
    send: async (command: unknown) => {
      if (command instanceof ListLogGroupsForQueryCommand) {
        calls.push('ListLogGroupsForQuery')
        const offset = Number(command.input.nextToken ?? 0)
        const next = offset + 500
        return {
          logGroupIdentifiers: analyzed.slice(offset, next),
          ...(next < analyzed.length ? { nextToken: String(next) } : {}),
        }
      }
      if (command instanceof DescribeLogGroupsCommand) {
        const input: DescribeLogGroupsCommandInput = command.input
        calls.push(
          `DescribeLogGroups ${input.logGroupNamePrefix} ${(input.accountIdentifiers ?? []).join(',')}`,
        )
        const matching = existing.filter(
          (group) =>
            group.name.startsWith(input.logGroupNamePrefix ?? '') &&
            (!input.accountIdentifiers || input.accountIdentifiers.includes(group.account)),
        )
        const offset = Number(input.nextToken ?? 0)
        const next = offset + (input.limit ?? 50)
        return {
          logGroups: matching
            .slice(offset, next)
            .map((group) => ({ logGroupName: group.name, logGroupArn: arn(group.account, group.name) })),
          ...(next < matching.length ? { nextToken: String(next) } : {}),
        }
      }
      throw new Error('unexpected command')
    },
  } as unknown as GroupListClient
  return { client, calls }
}

describe('unanalyzedGroups', () => {
  it('names the selected groups the query did not analyze, by account', async () => {
    const existing = Array.from({ length: 120 }, (_, i) => ({ account: i % 2 ? A : B, name: `/aws/g${i}` }))
    const analyzed = existing.filter((_, i) => i % 10 !== 0).map((group) => arn(group.account, group.name))
    const { client, calls } = groupListClient(analyzed, existing)
    const found = await unanalyzedGroups(client, 'q-1', { prefixes: ['/aws/'], accounts: [A, B] })
    expect(found).toEqual({
      selected: 120,
      skipped: existing.filter((_, i) => i % 10 === 0).map((group) => `${group.account}:${group.name}`),
      complete: true,
    })
    // Three pages of 50 (DescribeLogGroups' largest), across the accounts SOURCE named.
    expect(calls.filter((call) => call.startsWith('DescribeLogGroups'))).toEqual(
      Array(3).fill(`DescribeLogGroups /aws/ ${A},${B}`),
    )
  })

  it('takes plain names from ListLogGroupsForQuery as analyzed in any account', async () => {
    const { client } = groupListClient(['/aws/g0'], [{ account: A, name: '/aws/g0' }])
    const found = await unanalyzedGroups(client, 'q-1', { prefixes: ['/aws/'], accounts: [] })
    expect(found.skipped).toEqual([])
  })

  it(`stops listing at ${MAX_LISTED_GROUPS} groups and says the count is not complete`, async () => {
    const existing = Array.from({ length: MAX_LISTED_GROUPS + 60 }, (_, i) => ({
      account: A,
      name: `/aws/g${i}`,
    }))
    const { client } = groupListClient([], existing)
    const found = await unanalyzedGroups(client, 'q-1', { prefixes: ['/aws/'], accounts: [] })
    expect(found).toMatchObject({ selected: MAX_LISTED_GROUPS, complete: false })
  })
})

describe('the filterIndex warning', () => {
  const settings = {
    query: 'fields @timestamp, @message, @log | filterIndex requestId in ["a", "b"]',
    logGroupPrefixes: ['/aws/'],
    sourceAccounts: [A],
  }
  const queries: QueryRun[] = [
    {
      queryId: 'q-named',
      logGroups: ['/named'],
      statistics: { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 },
    },
    {
      queryId: 'q-prefix',
      logGroups: [`/aws/* (prefix, account ${A})`],
      statistics: { recordsMatched: 0, recordsScanned: 0, bytesScanned: 0 },
      source: { prefixes: ['/aws/'], accounts: [A] },
    },
  ]

  function recordingRunner() {
    const warnings: Array<{ line: string; title: string | undefined }> = []
    const infos: string[] = []
    return {
      warnings,
      infos,
      runner: {
        info: (line: string) => infos.push(line),
        warning: (line: string, annotation?: { title?: string }) =>
          warnings.push({ line, title: annotation?.title }),
      },
    }
  }

  it('names how many selected groups were skipped and the first few, with a title', async () => {
    const existing = Array.from({ length: 9 }, (_, i) => ({ account: A, name: `/aws/g${i}` }))
    const { client } = groupListClient([arn(A, '/aws/g0'), arn(A, '/aws/g1')], existing)
    const { runner, warnings } = recordingRunner()
    await warnFilterIndexSkips(settings, queries, client, { runner })
    expect(warnings).toEqual([
      {
        title: 'insights-watch: log groups skipped by filterIndex',
        line: expect.stringContaining(
          `7 of the 9 log groups log-group-prefixes selects were not analyzed by Insights query q-prefix: ${A}:/aws/g2, ${A}:/aws/g3, ${A}:/aws/g4, ${A}:/aws/g5, ${A}:/aws/g6 and 2 more.`,
        ),
      },
    ])
    expect(warnings[0]?.line).toMatch(/Create a field index .* or use filter instead of filterIndex/)
  })

  it('only says so in the log when every group was analyzed', async () => {
    const { client } = groupListClient([arn(A, '/aws/g0')], [{ account: A, name: '/aws/g0' }])
    const { runner, warnings, infos } = recordingRunner()
    await warnFilterIndexSkips(settings, queries, client, { runner })
    expect(warnings).toEqual([])
    expect(infos.join('\n')).toContain('analyzed every one of the 1 log groups')
  })

  it('falls back to the caveat when the check itself fails, naming the permissions', async () => {
    const client = {
      send: async () => {
        throw Object.assign(new Error('not authorized to perform: logs:ListLogGroupsForQuery'), {
          name: 'AccessDeniedException',
        })
      },
    } as unknown as GroupListClient
    const { runner, warnings } = recordingRunner()
    await warnFilterIndexSkips(settings, queries, client, { runner })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.line).toMatch(/filterIndex skips a log group that has no field index/)
    expect(warnings[0]?.line).toContain('logs:ListLogGroupsForQuery and logs:DescribeLogGroups')
  })

  it('makes no call without filterIndex, or without prefixes', async () => {
    const { client, calls } = groupListClient([], [])
    const { runner, warnings } = recordingRunner()
    await warnFilterIndexSkips({ ...settings, query: 'fields @message | filter x = 1' }, queries, client, {
      runner,
    })
    await warnFilterIndexSkips({ ...settings, logGroupPrefixes: [], sourceAccounts: [] }, queries, client, {
      runner,
    })
    expect(calls).toEqual([])
    expect(warnings).toEqual([])
  })
})
