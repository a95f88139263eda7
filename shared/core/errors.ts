/** Errors that a person can act on, said in one line (no stack trace). */

/** The project cannot start, for a reason the message says: a port in use, no discovery document… */
export class StartupError extends Error {
  override name = 'StartupError';
}

/**
 * A service a sample depends on gave no usable answer: the identity platform (a token request) or
 * the API (a Graph call) refused the connection, did not answer in time, or answered that it is
 * busy or failing (429, 5xx). The sample answers 503 with a page that names the service and its
 * address, keeps the user signed in, and works again as soon as the service is back: nothing about
 * the failure is remembered.
 */
export class ServiceUnavailableError extends Error {
  constructor(
    /** e.g. `the identity platform`, `the API` */
    readonly service: string,
    /** Where the sample tried to reach it: an origin such as `http://localhost:4000`. */
    readonly origin: string,
    /** What happened, in a few words: "refused the connection", "did not answer in time"… */
    readonly reason: string,
    options: {
      cause?: unknown;
      /** A service of the app's own network (Redis): its address goes to the log, not the page. */
      internal?: boolean;
    } = {},
  ) {
    super(`${service} at ${origin} ${reason}`, { cause: options.cause });
    this.name = 'ServiceUnavailableError';
    this.internal = options.internal ?? false;
  }

  readonly internal: boolean;
}
