import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Fault } from './faults.js'
import { type CallIdentity, headerValue, type Reply, type WireRequest } from './http-types.js'

/** Claims of a GitHub Actions OIDC token (docs.github.com "About security hardening with OpenID Connect"). */
export interface OidcClaims {
  iss: string
  sub: string
  aud: string
  exp: number
  iat: number
  nbf: number
  jti: string
  [claim: string]: unknown
}

export class OidcTokenError extends Error {
  constructor(
    readonly kind: 'malformed' | 'signature' | 'expired' | 'not-yet-valid',
    message: string,
  ) {
    super(message)
  }
}

export const OIDC_ISSUER = 'https://token.actions.githubusercontent.com'
/** The path behind ACTIONS_ID_TOKEN_REQUEST_URL; the runner's URL already carries `?api-version=2.0`. */
export const OIDC_PATH = '/_apis/oidc/idtoken'
const REPOSITORY = 'acme/api'

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url')
}

/**
 * The runner's ID-token endpoint. Tokens are JWTs signed with HS256 under a secret only this
 * emulator holds (GitHub signs RS256 with keys published at the issuer's JWKS; the emulator's STS is
 * the only verifier, so a shared secret is enough to make forged tokens fail).
 */
export class OidcService {
  readonly requestToken = randomBytes(24).toString('hex')
  readonly #secret = randomBytes(32)

  constructor(private readonly now: () => number) {}

  issue(audience: string): string {
    const iat = Math.floor(this.now() / 1000)
    const claims: OidcClaims = {
      jti: randomUUID(),
      sub: `repo:${REPOSITORY}:ref:refs/heads/main`,
      aud: audience,
      ref: 'refs/heads/main',
      sha: '0000000000000000000000000000000000000000',
      repository: REPOSITORY,
      repository_owner: REPOSITORY.split('/')[0],
      run_id: '4242',
      run_number: '1',
      run_attempt: '1',
      actor: 'octocat',
      workflow: 'api-errors',
      event_name: 'schedule',
      ref_type: 'branch',
      job_workflow_ref: `${REPOSITORY}/.github/workflows/api-errors.yml@refs/heads/main`,
      iss: OIDC_ISSUER,
      // GitHub's documented example token: nbf 10 min before iat, exp 5 min after it.
      nbf: iat - 600,
      iat,
      exp: iat + 300,
    }
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'insights-watch-emulator' }))
    const payload = base64url(JSON.stringify(claims))
    return `${header}.${payload}.${this.#sign(`${header}.${payload}`)}`
  }

  /** The claims of a token this emulator issued, if it is intact and current. */
  verify(token: string): OidcClaims {
    const parts = token.split('.')
    const [header, payload, signature] = parts
    if (parts.length !== 3 || !header || !payload || !signature) {
      throw new OidcTokenError('malformed', 'Token is not a valid JWT')
    }
    const want = Buffer.from(this.#sign(`${header}.${payload}`))
    const got = Buffer.from(signature)
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new OidcTokenError('signature', 'Token signature is invalid')
    }
    let claims: OidcClaims
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as OidcClaims
    } catch {
      throw new OidcTokenError('malformed', 'Token payload is not JSON')
    }
    const nowSeconds = Math.floor(this.now() / 1000)
    if (nowSeconds >= claims.exp) {
      throw new OidcTokenError(
        'expired',
        `Token expired: current date/time ${nowSeconds} must be before the expiration date/time ${claims.exp}`,
      )
    }
    if (nowSeconds < claims.nbf) throw new OidcTokenError('not-yet-valid', 'Token is not valid yet')
    return claims
  }

  #sign(data: string): string {
    return createHmac('sha256', this.#secret).update(data).digest('base64url')
  }

  identify(): CallIdentity {
    return { action: 'IdToken' }
  }

  handle(request: WireRequest): Reply {
    const authorization = headerValue(request.headers, 'authorization')
    if (authorization !== `Bearer ${this.requestToken}`) {
      return json(401, { message: 'Unauthorized: the bearer token is not ACTIONS_ID_TOKEN_REQUEST_TOKEN' })
    }
    const url = new URL(request.url, 'http://emulator')
    // Without `audience` GitHub uses the repository owner's URL.
    const audience = url.searchParams.get('audience') ?? `https://github.com/${REPOSITORY.split('/')[0]}`
    return json(200, { count: 1, value: this.issue(audience) })
  }

  faultReply(fault: Fault): Reply {
    return json(fault.status ?? 500, { message: fault.body ?? fault.errorType ?? 'Internal Server Error' })
  }
}

function json(status: number, body: unknown): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
    data: body,
  }
}
