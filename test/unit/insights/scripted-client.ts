import {
  type GetQueryResultsCommand,
  type GetQueryResultsCommandInput,
  type GetQueryResultsCommandOutput,
  type ResultField,
  StartQueryCommand,
  type StartQueryCommandInput,
  StopQueryCommand,
  type StopQueryCommandInput,
} from '@aws-sdk/client-cloudwatch-logs'
import { expect } from 'vitest'
import { QueryError } from '../../../src/insights/query-errors.js'
import type { InsightsClient, InsightsQuery, QueryDeps } from '../../../src/insights/types.js'

export const QUERY_ID = '1234-abcd-5678'
export const START_MS = 1_700_000_000_000

export type Response = Omit<GetQueryResultsCommandOutput, '$metadata'>
type Call =
  | { op: 'StartQuery'; input: StartQueryCommandInput; at: number }
  | { op: 'GetQueryResults'; input: GetQueryResultsCommandInput; at: number }
  | { op: 'StopQuery'; input: StopQueryCommandInput; at: number }

export interface Script {
  /** Thrown by StartQuery instead of starting. */
  startError?: Error
  /** Answers to GetQueryResults without a nextToken, in order; the last one repeats. */
  polls: Array<Response | Error>
  /** Answers to GetQueryResults by nextToken. */
  pages?: Record<string, Response>
  stopError?: Error
  /** Called after each poll is answered, with its 1-based number. */
  onPoll?: (count: number) => void
}

/** A scripted CloudWatch Logs client and a clock that only moves when the code under test sleeps. */
export function scripted(
  script: Script,
  options: { timeoutMs?: number; signal?: AbortSignal; sleep?: QueryDeps['sleep'] } = {},
) {
  let now = START_MS
  const sleeps: number[] = []
  const calls: Call[] = []
  const lines: string[] = []
  let polls = 0

  const fake = {
    async send(command: StartQueryCommand | GetQueryResultsCommand | StopQueryCommand): Promise<unknown> {
      if (command instanceof StartQueryCommand) {
        calls.push({ op: 'StartQuery', input: command.input, at: now })
        if (script.startError) throw script.startError
        return { queryId: QUERY_ID, $metadata: {} }
      }
      if (command instanceof StopQueryCommand) {
        calls.push({ op: 'StopQuery', input: command.input, at: now })
        if (script.stopError) throw script.stopError
        return { success: true, $metadata: {} }
      }
      calls.push({ op: 'GetQueryResults', input: command.input, at: now })
      const token = command.input.nextToken
      if (token !== undefined) {
        const page = script.pages?.[token]
        if (!page) throw new Error(`unexpected nextToken ${token}`)
        return { ...page, $metadata: {} }
      }
      polls += 1
      const answer = script.polls[Math.min(polls, script.polls.length) - 1]
      script.onPoll?.(polls)
      if (answer instanceof Error) throw answer
      return { ...answer, $metadata: {} }
    },
  }

  const deps: QueryDeps = {
    client: fake as InsightsClient,
    now: () => now,
    sleep:
      options.sleep ??
      (async (ms) => {
        sleeps.push(ms)
        now += ms
      }),
    log: (line) => lines.push(line),
    timeoutMs: options.timeoutMs ?? 300_000,
  }
  if (options.signal) deps.signal = options.signal
  const ops = <Op extends Call['op']>(op: Op) =>
    calls.filter((call): call is Extract<Call, { op: Op }> => call.op === op)
  return { deps, sleeps, calls, lines, ops }
}

export function query(overrides: Partial<InsightsQuery> = {}): InsightsQuery {
  return {
    logGroups: ['/aws/apigateway/prod-access', '/aws/apigateway/staging-access'],
    queryString: 'fields @timestamp, @message | filter status >= 400',
    queryLanguage: 'CWLI',
    window: { start: 1_699_999_700, end: 1_699_999_999 },
    ...overrides,
  }
}

export function row(id: string): ResultField[] {
  return [
    { field: '@timestamp', value: '2023-11-14 22:13:20.000' },
    { field: '@ptr', value: id },
  ]
}

export const stats = { recordsMatched: 3, recordsScanned: 1000, bytesScanned: 204_800 }

export async function rejection(promise: Promise<unknown>): Promise<QueryError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(QueryError)
  return error as QueryError
}
