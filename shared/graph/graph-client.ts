import { networkFailureReason, ServiceUnavailableError } from '../errors.ts';

/** Microsoft Graph (or the emulator's Graph-like API) refused a call. */
export class GraphError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

const GRAPH_TIMEOUT_MS = 10_000;

/** Calls Microsoft Graph (or the emulator's Graph-like API) with a user's access token. */
export class GraphClient {
  private readonly origin: string;

  constructor(private readonly graphUrl: string) {
    this.origin = new URL(graphUrl).origin;
  }

  /**
   * GETs `path` and returns its JSON body. An error status is a {@link GraphError}; no answer at
   * all (refused, reset, or slower than 10 s) is a {@link ServiceUnavailableError}.
   */
  async get<T>(path: string, accessToken: string): Promise<T> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.graphUrl + path, {
        headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
        signal: AbortSignal.timeout(GRAPH_TIMEOUT_MS),
      });
      text = await response.text();
    } catch (error) {
      throw new ServiceUnavailableError('the API', this.origin, networkFailureReason(error), {
        cause: error,
      });
    }
    const body = parseJson(text) as { error?: { code?: string; message?: string } } | undefined;
    if (!response.ok) {
      throw new GraphError(
        response.status,
        body?.error?.code ?? 'UnknownError',
        body?.error?.message ?? response.statusText,
      );
    }
    if (body === undefined) {
      throw new GraphError(response.status, 'InvalidResponse', 'The answer is not JSON.');
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
