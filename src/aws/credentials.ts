import { fromNodeProviderChain, fromWebToken } from '@aws-sdk/credential-providers'
import { errorMessage } from '../errors.js'
import type { ProxyAgentsFactory } from '../net/proxy.js'
import type { Settings } from '../settings.js'

/** The credentials the SDK asks a provider for. */
interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  expiration?: Date
}

/** What the Logs client is given: it calls this before each request. */
export type CredentialProvider = () => Promise<AwsCredentials>

export interface CredentialDeps {
  env: Record<string, string | undefined>
  /** Asks the runner for an OIDC token for an audience (core.getIDToken; it masks the token). */
  getIDToken: (audience: string) => Promise<string>
  setSecret: (value: string) => void
  log: (line: string) => void
  now: () => number
  /** Agents for the STS (and SSO) clients behind a proxy (src/net/proxy.ts); absent: the SDK's own. */
  proxyAgents?: ProxyAgentsFactory
}

/** Fails the step with a message that says what to change, never with the credentials themselves. */
class CredentialsError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CredentialsError'
  }
}

/** Credentials are renewed this long before they expire, so a request never carries stale ones. */
const REFRESH_MARGIN_MS = 60_000

/**
 * Resolves AWS credentials once, up front, so that a trust-policy or permission mistake fails here with
 * advice instead of as an opaque error on the first Logs call. With `role-to-assume`, the role is assumed
 * with the workflow's OIDC token; without it, the SDK's default chain is used (env, profile, instance).
 */
export async function resolveCredentials(
  settings: Settings,
  deps: CredentialDeps,
): Promise<CredentialProvider> {
  const { roleToAssume } = settings
  const fetchCredentials = async () => {
    const credentials = roleToAssume
      ? await assumeRoleWithOidc(settings, roleToAssume, deps)
      : await fromDefaultChain(settings, deps)
    mask(credentials, deps.setSecret)
    return credentials
  }
  const provider = renewing(fetchCredentials, deps.now)
  const credentials = await provider()
  deps.log(
    settings.roleToAssume
      ? `Assumed ${settings.roleToAssume} as session ${settings.roleSessionName} (valid until ${credentials.expiration?.toISOString() ?? 'unknown'}).`
      : 'Using AWS credentials from the default credential chain (no role-to-assume).',
  )
  return provider
}

async function assumeRoleWithOidc(
  settings: Settings,
  roleArn: string,
  deps: CredentialDeps,
): Promise<AwsCredentials> {
  if (!deps.env.ACTIONS_ID_TOKEN_REQUEST_URL || !deps.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    throw new CredentialsError(
      `"role-to-assume" is set, but the runner offers no OIDC token. Add "permissions: id-token: write" to the workflow or job ` +
        '(runs for pull requests from forks never get one), or leave "role-to-assume" empty to use credentials from the environment.',
    )
  }
  let token: string
  try {
    token = await deps.getIDToken(settings.audience)
  } catch (error) {
    throw new CredentialsError(
      `Could not get a GitHub OIDC token for audience "${settings.audience}": ${errorMessage(error)}. ` +
        'Check that the job has "permissions: id-token: write".',
      { cause: error },
    )
  }
  deps.setSecret(token)
  try {
    return await fromWebToken({
      roleArn,
      webIdentityToken: token,
      roleSessionName: settings.roleSessionName,
      durationSeconds: settings.roleDurationSeconds,
      // Without an explicit region the inner STS client has used us-east-1 (aws-sdk-js-v3#5105).
      clientConfig: clientConfig(settings, deps),
    })()
  } catch (error) {
    const claims = tokenClaims(token)
    throw new CredentialsError(
      `Could not assume role ${roleArn} with the GitHub OIDC token: ${errorMessage(error)}. ` +
        `Check the role's trust policy: it must trust the GitHub OIDC provider (token.actions.githubusercontent.com), ` +
        `its "token.actions.githubusercontent.com:aud" condition must be "${settings.audience}", and its ` +
        `"token.actions.githubusercontent.com:sub" condition must match this run` +
        (claims.sub ? ` (this token's sub is "${claims.sub}")` : '') +
        '. Scheduled runs use the default branch.',
      { cause: error },
    )
  }
}

/**
 * The config of the STS/SSO clients the providers make: the region, and behind a proxy its agents
 * (a `requestHandler` given as options, which each client turns into its own NodeHttpHandler).
 */
function clientConfig(settings: Settings, deps: CredentialDeps) {
  return { region: settings.region, ...(deps.proxyAgents ? { requestHandler: deps.proxyAgents() } : {}) }
}

async function fromDefaultChain(settings: Settings, deps: CredentialDeps): Promise<AwsCredentials> {
  try {
    return await fromNodeProviderChain({ clientConfig: clientConfig(settings, deps) })()
  } catch (error) {
    throw new CredentialsError(
      `No AWS credentials found: ${errorMessage(error)}. Set "role-to-assume" to an IAM role that trusts GitHub's OIDC provider ` +
        '(and give the job "permissions: id-token: write"), or provide credentials in the environment.',
      { cause: error },
    )
  }
}

/** Calls `fetch` once, then again only when the credentials are about to expire. */
function renewing(fetchCredentials: () => Promise<AwsCredentials>, now: () => number): CredentialProvider {
  let current: AwsCredentials | undefined
  let pending: Promise<AwsCredentials> | undefined
  return async () => {
    const expiresAt = current?.expiration?.getTime()
    if (current && (expiresAt === undefined || expiresAt - now() > REFRESH_MARGIN_MS)) return current
    pending ??= fetchCredentials().finally(() => {
      pending = undefined
    })
    current = await pending
    return current
  }
}

function mask(credentials: AwsCredentials, setSecret: (value: string) => void): void {
  setSecret(credentials.accessKeyId)
  setSecret(credentials.secretAccessKey)
  if (credentials.sessionToken) setSecret(credentials.sessionToken)
}

/** The token's claims, read (not verified) only to tell the user which `sub` their trust policy must match. */
function tokenClaims(token: string): { sub?: string } {
  try {
    const payload = token.split('.')[1]
    if (!payload) return {}
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    const sub = (claims as { sub?: unknown }).sub
    return typeof sub === 'string' ? { sub } : {}
  } catch {
    return {}
  }
}
