/** Errors that a person can act on, said in one line (no stack trace). */

/** The project cannot start, for a reason the message says: a port in use, no discovery document… */
export class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * A service a sample depends on could not be reached: the identity platform (a token request) or
 * the API (a Graph call). The sample answers 503 with a page that names the service and its
 * address, keeps the user signed in, and works again as soon as the service is back: nothing about
 * the failure is remembered.
 */
export class ServiceUnavailableError extends Error {
  constructor(
    /** e.g. `the identity platform`, `the API` */
    readonly service: string,
    /** Where the sample tried to reach it: an origin such as `http://localhost:4000`. */
    readonly origin: string,
    /** What happened, in a few words: "refused the connection", "did not answer within 10 s"… */
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${service} at ${origin} ${reason}`, options);
    this.name = 'ServiceUnavailableError';
  }
}

/** A few words for a failed `fetch`: its cause's system error code, or the timeout that fired. */
export function networkFailureReason(error: unknown): string {
  const failure = error as { name?: string; cause?: { code?: string } };
  if (failure?.name === 'TimeoutError') return 'did not answer in time';
  switch (failure?.cause?.code) {
    case 'ECONNREFUSED':
      return 'refused the connection (is it running?)';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'closed the connection before answering';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'has a host name that does not resolve';
    default:
      return 'could not be reached';
  }
}
