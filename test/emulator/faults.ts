/** The services the emulator answers for; `calls` and faults are keyed by them. */
export type ServiceName = 'logs' | 'sts' | 'oidc' | 'slack' | 'slack-api' | 'github' | 'cache'

/**
 * A misbehaviour to apply to the next matching call(s). Without `status`, `errorType`, `body` or
 * `dropConnection` a fault only adds latency and the call is then answered normally.
 */
export interface Fault {
  service: ServiceName
  /**
   * Logs/STS action (`StartQuery`, `AssumeRoleWithWebIdentity`), `IdToken` for OIDC, webhook name for
   * Slack, the method for Slack's Web API (`chat.postMessage`), octokit's name for GitHub
   * (`issues.create`, `issues.createComment`, `issues.update`, `issues.setLabels`, …); for the cache the Twirp method (`CreateCacheEntry`, `FinalizeCacheEntryUpload`,
   * `GetCacheEntryDownloadURL`) or the blob operation (`PutBlob`, `PutBlock`, `PutBlockList`, `GetBlob`,
   * `GetBlobProperties`).
   */
  action?: string
  /** The first N matching calls; default 1. */
  times?: number
  /** Wall-clock delay before answering (real time: it is the client's timeout that it exercises). */
  latencyMs?: number
  status?: number
  /**
   * AWS error code (`ThrottlingException`, `ServiceUnavailableException`, STS `Throttling`, …); for the
   * cache a Twirp code (`internal`, `already_exists`) or an Azure Storage code (`ServerBusy`).
   */
  errorType?: string
  /**
   * Error text: Slack's plain-text body (`invalid_payload`), the AWS error message, or the cache's
   * message; for Slack's Web API the `error` of a 200 `{ ok: false }` answer, or (starting with `{`)
   * the whole JSON answer; for GitHub the `message`.
   */
  body?: string
  /**
   * Slack (webhook and Web API) 429 with this `Retry-After`, in seconds; GitHub 403 (or `status`)
   * "secondary rate limit" with it.
   */
  retryAfterSeconds?: number
  /** Destroy the socket without answering (the client sees a reset / "socket hang up"). */
  dropConnection?: boolean
}

interface PendingFault {
  fault: Fault
  remaining: number
}

/** Faults waiting to fire, matched in the order they were injected. */
export class FaultBook {
  readonly #pending: PendingFault[] = []

  add(fault: Fault): void {
    const times = fault.times ?? 1
    if (!Number.isInteger(times) || times < 1)
      throw new Error(`fault.times must be a positive integer, got ${times}`)
    this.#pending.push({ fault, remaining: times })
  }

  /** The first fault matching this call, counted as used. */
  take(service: ServiceName, action: string): Fault | undefined {
    const index = this.#pending.findIndex(
      (p) => p.fault.service === service && (p.fault.action === undefined || p.fault.action === action),
    )
    const pending = this.#pending[index]
    if (!pending) return undefined
    pending.remaining -= 1
    if (pending.remaining === 0) this.#pending.splice(index, 1)
    return pending.fault
  }

  /** True when the fault answers by itself instead of letting the service answer after its latency. */
  static answers(fault: Fault): boolean {
    return (
      fault.status !== undefined ||
      fault.errorType !== undefined ||
      fault.body !== undefined ||
      fault.retryAfterSeconds !== undefined
    )
  }
}
