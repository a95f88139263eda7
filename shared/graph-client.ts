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

/** Calls Graph with the user's access token and returns the JSON body. */
export async function callGraph<T>(
  graphUrl: string,
  path: string,
  accessToken: string,
): Promise<T> {
  const response = await fetch(graphUrl + path, {
    headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json().catch(() => ({}))) as {
    error?: { code?: string; message?: string };
  };
  if (!response.ok) {
    throw new GraphError(
      response.status,
      body.error?.code ?? 'UnknownError',
      body.error?.message ?? response.statusText,
    );
  }
  return body as T;
}
