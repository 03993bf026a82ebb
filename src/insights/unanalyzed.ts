/**
 * Which log groups a prefix query did not analyze. `filterIndex` "returns nothing from groups that have
 * no index on that field" and says nothing about it: the groups ListLogGroupsForQuery names as analyzed
 * ("useful for queries that use log group name prefixes or the filterIndex command") are set against
 * the groups DescribeLogGroups lists under the same prefixes and accounts.
 */
import {
  DescribeLogGroupsCommand,
  type DescribeLogGroupsCommandOutput,
  ListLogGroupsForQueryCommand,
  type ListLogGroupsForQueryCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs'
import type { LogGroupSource } from './types.js'

/** The part of `CloudWatchLogsClient` the check uses; the real client satisfies it. */
export interface GroupListClient {
  send(
    command: ListLogGroupsForQueryCommand,
    options: { abortSignal?: AbortSignal },
  ): Promise<ListLogGroupsForQueryCommandOutput>
  send(
    command: DescribeLogGroupsCommand,
    options: { abortSignal?: AbortSignal },
  ): Promise<DescribeLogGroupsCommandOutput>
}

/**
 * Groups listed at most: DescribeLogGroups pages hold 50, and a monitor should not spend minutes of
 * a shared request quota on a warning. Past it, the count is a lower bound.
 */
export const MAX_LISTED_GROUPS = 2_000

export interface Unanalyzed {
  /** Groups the prefixes select (up to MAX_LISTED_GROUPS). */
  selected: number
  /** Those the query did not analyze, as `account:name`, in DescribeLogGroups' order. */
  skipped: string[]
  /** False when the listing stopped at MAX_LISTED_GROUPS. */
  complete: boolean
}

export async function unanalyzedGroups(
  client: GroupListClient,
  queryId: string,
  source: LogGroupSource,
  signal?: AbortSignal,
): Promise<Unanalyzed> {
  const options = signal ? { abortSignal: signal } : {}
  const analyzed = await analyzedGroups(client, queryId, options)
  const found: Unanalyzed = { selected: 0, skipped: [], complete: true }
  for (const prefix of source.prefixes) {
    let next: string | undefined
    do {
      const page = await client.send(describeCommand(source, prefix, next), options)
      for (const group of page.logGroups ?? []) {
        const key = groupKey(group.logGroupArn ?? group.arn ?? group.logGroupName ?? '')
        found.selected += 1
        if (!wasAnalyzed(analyzed, key)) found.skipped.push(key)
        if (found.selected >= MAX_LISTED_GROUPS) return { ...found, complete: false }
      }
      next = page.nextToken
    } while (next)
  }
  return found
}

/** One page of the groups under `prefix` in the source's accounts (50, DescribeLogGroups' largest). */
function describeCommand(source: LogGroupSource, prefix: string, nextToken: string | undefined) {
  return new DescribeLogGroupsCommand({
    logGroupNamePrefix: prefix,
    includeLinkedAccounts: true,
    ...(source.accounts.length > 0 ? { accountIdentifiers: [...source.accounts] } : {}),
    limit: 50,
    ...(nextToken ? { nextToken } : {}),
  })
}

/** A plain name from ListLogGroupsForQuery names the group without its account: any account's. */
function wasAnalyzed(analyzed: ReadonlySet<string>, key: string): boolean {
  return analyzed.has(key) || analyzed.has(`*:${key.slice(key.indexOf(':') + 1)}`)
}

/** Every group ListLogGroupsForQuery names for the query, as `groupKey`s. */
async function analyzedGroups(
  client: GroupListClient,
  queryId: string,
  options: { abortSignal?: AbortSignal },
): Promise<Set<string>> {
  const analyzed = new Set<string>()
  let token: string | undefined
  do {
    const page = await client.send(
      new ListLogGroupsForQueryCommand({ queryId, maxResults: 500, ...(token ? { nextToken: token } : {}) }),
      options,
    )
    for (const identifier of page.logGroupIdentifiers ?? []) analyzed.add(groupKey(identifier))
    token = page.nextToken
  } while (token)
  return analyzed
}

/** `account:name` from an ARN (with or without `:*`), `*:name` from a name. */
function groupKey(identifier: string): string {
  const arn = /^arn:[^:]+:logs:[^:]*:(\d{12}):log-group:([^:]+)(?::\*)?$/.exec(identifier)
  return arn ? `${arn[1]}:${arn[2]}` : `*:${identifier}`
}
