import { MalformedQueryException, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs'
import { describe, expect, it } from 'vitest'
import { completeQuery } from '../../../src/insights/poll.js'
import { query, rejection, scripted } from './scripted-client.js'

// What a StartQuery error means for the user, and how messages name the log groups (query-errors.ts),
// as completeQuery reports them.
describe('QueryError messages', () => {
  it("reports a malformed query with AWS's message and the query string", async () => {
    const aws = new MalformedQueryException({
      message: 'unexpected symbol found > at line 1 and position 40',
      $metadata: {},
    })
    const { deps, ops } = scripted({ startError: aws, polls: [] })
    const error = await rejection(
      completeQuery(query({ queryString: 'fields @message | filter >> 1' }), deps),
    )

    expect(error.kind).toBe('malformed')
    expect(error.message).toContain('unexpected symbol found > at line 1 and position 40')
    expect(error.message).toContain('Query: fields @message | filter >> 1')
    expect(error.query).toBe('fields @message | filter >> 1')
    expect(error.queryId).toBeUndefined()
    expect(error.cause).toBe(aws)
    expect(ops('GetQueryResults')).toHaveLength(0)
  })

  it('adds the compile error location of a malformed query when AWS gives one', async () => {
    const aws = new MalformedQueryException({
      message: 'Query is malformed',
      queryCompileError: {
        message: 'mismatched input',
        location: { startCharOffset: 25, endCharOffset: 27 },
      },
      $metadata: {},
    })
    const { deps } = scripted({ startError: aws, polls: [] })
    const error = await rejection(completeQuery(query(), deps))
    expect(error.message).toContain('Query is malformed (mismatched input at character 25)')
  })

  it('names the log groups and the region when one is not found', async () => {
    const aws = new ResourceNotFoundException({ message: 'Log group does not exist', $metadata: {} })
    const { deps } = scripted({ startError: aws, polls: [] })
    const error = await rejection(completeQuery(query(), deps))

    expect(error.kind).toBe('not-found')
    expect(error.message).toContain('Log group does not exist')
    expect(error.message).toContain('/aws/apigateway/prod-access, /aws/apigateway/staging-access')
    expect(error.message).toContain('aws-region')
    expect(error.message).toContain('log-group-names')
  })

  it('wraps other StartQuery errors with the log groups and keeps the cause', async () => {
    const aws = Object.assign(new Error('User is not authorized to perform: logs:StartQuery'), {
      name: 'AccessDeniedException',
    })
    const { deps } = scripted({ startError: aws, polls: [] })
    const error = await rejection(completeQuery(query(), deps))

    expect(error.kind).toBe('start')
    expect(error.message).toContain('not authorized to perform: logs:StartQuery')
    expect(error.message).toContain('/aws/apigateway/prod-access')
    expect(error.cause).toBe(aws)
  })

  it('says when StartQuery refused the limit parameter, and the maximum the service named', async () => {
    const refusal = Object.assign(
      new Error(
        "1 validation error detected: Value '100000' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000",
      ),
      { name: 'InvalidParameterException' },
    )
    const { deps } = scripted({ startError: refusal, polls: [] })
    const error = await rejection(completeQuery(query({ limit: 100_000 }), deps))
    expect(error.kind).toBe('limit')
    expect(error.acceptedLimit).toBe(10_000)
    expect(error.message).toContain('StartQuery refused limit 100000')

    // Without a limit passed, the same error is an ordinary StartQuery failure.
    const other = scripted({ startError: refusal, polls: [] })
    expect((await rejection(completeQuery(query(), other.deps))).kind).toBe('start')
  })

  it('abbreviates a long list of log groups in messages', async () => {
    const logGroups = Array.from({ length: 50 }, (_, index) => `/group/${index}`)
    const { deps } = scripted({ polls: [{ status: 'Failed' }] })
    const error = await rejection(completeQuery(query({ logGroups }), deps))
    expect(error.message).toContain('/group/9 and 40 more')
    expect(error.message).not.toContain('/group/10')
    expect(error.logGroups).toEqual(logGroups)
  })
})
