import { randomUUID } from 'node:crypto'
import type { Fault } from './faults.js'
import type { CallIdentity, Reply, WireRequest } from './http-types.js'
import type { KeyStore } from './keys.js'
import { OIDC_ISSUER, type OidcClaims, type OidcService, OidcTokenError } from './oidc-service.js'

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/'
/** The audience GitHub's docs tell users to put in the role's trust policy (`token.actions.githubusercontent.com:aud`). */
const STS_AUDIENCE = 'sts.amazonaws.com'
/** IAM's default MaxSessionDuration for a role. */
const ROLE_MAX_SESSION_SECONDS = 3600

class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

function xmlEscape(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

function xmlReply(status: number, body: string, requestId: string): Reply {
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body }
}

/** `<ErrorResponse>` as STS's query protocol sends it; the SDK reads Error/Code and Error/Message. */
export function stsErrorReply(status: number, code: string, message: string): Reply {
  const requestId = randomUUID()
  const type = status >= 500 ? 'Receiver' : 'Sender'
  return xmlReply(
    status,
    `<ErrorResponse xmlns="${STS_NS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${xmlEscape(code)}</Code>\n    <Message>${xmlEscape(message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
    requestId,
  )
}

/**
 * STS over the AWS query protocol (form-encoded POST, XML answer); only AssumeRoleWithWebIdentity,
 * which is unsigned: the web identity token is the credential.
 */
export class StsService {
  constructor(
    private readonly options: {
      now: () => number
      accountId: string
      roleArn: string
      keys: KeyStore
      oidc: OidcService
    },
  ) {}

  identify(request: WireRequest): CallIdentity {
    const params = Object.fromEntries(new URLSearchParams(request.body.toString('utf8')))
    // The token is a credential: keep it out of the call log.
    const { WebIdentityToken: _token, ...loggable } = params
    return { action: params.Action ?? '', body: loggable }
  }

  handle(request: WireRequest): Reply {
    const params = new URLSearchParams(request.body.toString('utf8'))
    try {
      return this.#assumeRoleWithWebIdentity(params)
    } catch (error) {
      if (error instanceof StsError) return stsErrorReply(error.status, error.code, error.message)
      throw error
    }
  }

  faultReply(fault: Fault): Reply {
    const status =
      fault.status ?? (fault.errorType === 'Throttling' || fault.errorType === undefined ? 400 : 500)
    const code =
      fault.errorType ??
      (status === 400
        ? 'Throttling'
        : status === 403
          ? 'AccessDenied'
          : status === 503
            ? 'ServiceUnavailable'
            : 'InternalFailure')
    return stsErrorReply(
      status,
      code,
      fault.body ?? (code === 'Throttling' ? 'Rate exceeded' : `${code} (injected)`),
    )
  }

  #assumeRoleWithWebIdentity(params: URLSearchParams): Reply {
    const action = params.get('Action')
    if (action !== 'AssumeRoleWithWebIdentity') {
      throw new StsError(
        400,
        'InvalidAction',
        `Could not find operation ${action ?? ''} for version 2011-06-15`,
      )
    }
    if (params.get('Version') !== '2011-06-15') {
      throw new StsError(
        400,
        'InvalidAction',
        `Could not find operation ${action} for version ${params.get('Version') ?? ''}`,
      )
    }
    const roleArn = params.get('RoleArn') ?? ''
    const sessionName = params.get('RoleSessionName') ?? ''
    const token = params.get('WebIdentityToken') ?? ''
    const duration = params.has('DurationSeconds')
      ? Number(params.get('DurationSeconds'))
      : ROLE_MAX_SESSION_SECONDS
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
      throw new StsError(
        400,
        'ValidationError',
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and length 2-64`,
      )
    }
    if (!Number.isInteger(duration) || duration < 900) {
      throw new StsError(
        400,
        'ValidationError',
        `1 validation error detected: Value '${params.get('DurationSeconds')}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
      )
    }
    if (duration > ROLE_MAX_SESSION_SECONDS) {
      throw new StsError(
        400,
        'ValidationError',
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      )
    }
    let claims: OidcClaims
    try {
      claims = this.options.oidc.verify(token)
    } catch (error) {
      if (!(error instanceof OidcTokenError)) throw error
      // What STS says for a token whose signature its OIDC provider's keys do not verify, and for
      // an expired one.
      if (error.kind === 'expired') throw new StsError(400, 'ExpiredTokenException', error.message)
      throw new StsError(
        400,
        'InvalidIdentityToken',
        `Couldn't verify the web identity token: ${error.message}`,
      )
    }
    if (claims.iss !== OIDC_ISSUER) {
      throw new StsError(
        400,
        'InvalidIdentityToken',
        `No OpenIDConnect provider found in your account for ${claims.iss}`,
      )
    }
    // The role's trust policy conditions on `token.actions.githubusercontent.com:aud` (and the
    // role's ARN must be the one it protects); a mismatch is AccessDenied, as configure-aws-credentials
    // users see it.
    if (roleArn !== this.options.roleArn || claims.aud !== STS_AUDIENCE) {
      throw new StsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity')
    }
    const key = this.options.keys.issueTemporary(this.options.now() + duration * 1000)
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1)
    const requestId = randomUUID()
    // Expiration is reported in the client's own (wall-clock) frame, so the SDK does not keep
    // refreshing when the emulator runs a simulated clock; the emulator enforces `expiresAt` on its
    // own clock.
    const expiration = new Date(Date.now() + duration * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
    const body = `<AssumeRoleWithWebIdentityResponse xmlns="${STS_NS}">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>${key.accessKeyId}</AccessKeyId>
      <SecretAccessKey>${xmlEscape(key.secretAccessKey)}</SecretAccessKey>
      <SessionToken>${xmlEscape(key.sessionToken)}</SessionToken>
      <Expiration>${expiration}</Expiration>
    </Credentials>
    <SubjectFromWebIdentityToken>${xmlEscape(claims.sub)}</SubjectFromWebIdentityToken>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::${this.options.accountId}:assumed-role/${xmlEscape(roleName)}/${xmlEscape(sessionName)}</Arn>
      <AssumedRoleId>AROAEMULATORROLE00001:${xmlEscape(sessionName)}</AssumedRoleId>
    </AssumedRoleUser>
    <Audience>${xmlEscape(claims.aud)}</Audience>
    <Provider>${xmlEscape(claims.iss)}</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>${requestId}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`
    return xmlReply(200, body, requestId)
  }
}
