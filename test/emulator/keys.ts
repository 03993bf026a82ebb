import { randomBytes } from 'node:crypto'

/** A key pair the emulator accepts on Logs requests. */
export interface KnownKey {
  accessKeyId: string
  secretAccessKey: string
  /** Temporary (STS-issued) keys only: the X-Amz-Security-Token that must come with them. */
  sessionToken?: string
  /** Temporary keys only: emulator-clock ms after which they are refused (ExpiredTokenException). */
  expiresAt?: number
}

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

function randomKeyId(prefix: string): string {
  // Access key ids are 20 upper-case characters: AKIA… for long-term keys, ASIA… for STS-issued ones.
  const bytes = randomBytes(16)
  let id = prefix
  for (const b of bytes) id += ALPHANUM[b % ALPHANUM.length]
  return id
}

/** The long-term key of the default-credential-chain path and every key the emulator's STS issued. */
export class KeyStore {
  readonly #keys = new Map<string, KnownKey>()
  readonly staticKey: KnownKey

  constructor() {
    // Fixed values, so a `.env` for @github/local-action can name them without starting the emulator.
    this.staticKey = {
      accessKeyId: 'AKIAEMULATOR0STATIC1',
      secretAccessKey: 'emulator/static/secret/key/0000000000000',
    }
    this.#keys.set(this.staticKey.accessKeyId, this.staticKey)
  }

  issueTemporary(expiresAt: number): Required<KnownKey> {
    const key: Required<KnownKey> = {
      accessKeyId: randomKeyId('ASIA'),
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(96).toString('base64')}`,
      expiresAt,
    }
    this.#keys.set(key.accessKeyId, key)
    return key
  }

  lookup(accessKeyId: string): KnownKey | undefined {
    return this.#keys.get(accessKeyId)
  }
}
