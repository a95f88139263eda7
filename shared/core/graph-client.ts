import { claimsChallengeOf } from './claims-challenge.ts';
import { ServiceUnavailableError } from './errors.ts';
import { fetchWithin, NoAnswer } from './outbound.ts';

/** Microsoft Graph (or the emulator's Graph-like API) refused a call. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /**
     * A 401's claims challenge (Continuous Access Evaluation), as the JSON text msal takes in a
     * request's `claims`; absent when the API asked for none, or in a header this client cannot
     * read (then the 401 is a plain one). Never show it or log it: it is for the next token request.
     */
    readonly claimsChallenge?: string,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

/** Calls Microsoft Graph (or the emulator's Graph-like API) with a user's access token. */
export class GraphClient {
  private readonly origin: string;

  constructor(
    private readonly graphUrl: string,
    /** How long a call may take, answer included (OUTBOUND_TIMEOUT_SECONDS). */
    private readonly timeoutMs: number,
  ) {
    this.origin = new URL(graphUrl).origin;
  }

  /**
   * GETs `path` and returns its JSON body. A refusal (4xx) is a {@link GraphError}; no usable
   * answer (refused, reset, slower than the timeout, busy or failing: 429, 5xx, not JSON) is a
   * {@link ServiceUnavailableError}.
   */
  async get<T>(path: string, accessToken: string): Promise<T> {
    let answer: Awaited<ReturnType<typeof fetchWithin>>;
    try {
      answer = await fetchWithin(
        this.graphUrl + path,
        { headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' } },
        { timeoutMs: this.timeoutMs },
      );
    } catch (error) {
      if (!(error instanceof NoAnswer)) throw error;
      throw new ServiceUnavailableError('the API', this.origin, error.reason, { cause: error });
    }
    const { status, text, headers } = answer;
    if (status === 429 || status >= 500) {
      throw new ServiceUnavailableError('the API', this.origin, `answered ${status}`);
    }
    const body = parseJson(text) as { error?: { code?: string; message?: string } } | undefined;
    if (status < 200 || status > 299) {
      const claims = status === 401 ? claimsChallengeOf(headers['www-authenticate']) : undefined;
      throw new GraphError(
        status,
        body?.error?.code ?? 'UnknownError',
        body?.error?.message ?? '',
        claims,
      );
    }
    if (body === undefined) {
      throw new ServiceUnavailableError(
        'the API',
        this.origin,
        `answered ${status} with something other than JSON`,
      );
    }
    return body as T;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
