/**
 * The Microsoft Graph calls of `npm run register`: each one a request with a timeout, its answer
 * read as Graph's JSON, its errors in Graph's shape turned into a {@link GraphError} that says
 * what Graph said. A few calls, so no Graph SDK: the dry run prints exactly the requests this
 * sends, and the samples' own outbound client (`fetchWithin`) gives every call its timeout.
 */
import { fetchWithin, NoAnswer } from '../core/outbound.ts';

export interface GraphRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** After `/v1.0`, e.g. `/applications(uniqueName='x')`. */
  path: string;
  body?: unknown;
  /** `Prefer: create-if-missing` makes a PATCH on an alternate key an upsert. */
  createIfMissing?: boolean;
}

export interface GraphAnswer {
  status: number;
  /** The JSON body, or `undefined` for none (204). */
  json: Record<string, unknown> | undefined;
}

/** Sends a request, or (in a dry run) prints it. */
export interface Graph {
  send(request: GraphRequest): Promise<GraphAnswer>;
}

/** Graph answered with an error: its status, code and message, which name what it refused. */
export class GraphError extends Error {
  constructor(
    readonly request: GraphRequest,
    readonly status: number,
    readonly code: string,
    readonly graphMessage: string,
  ) {
    super(`${request.method} ${request.path}: ${status} ${code}: ${graphMessage}`);
    this.name = 'GraphError';
  }
}

/** Graph did not answer (down, unreachable, too slow): a rerun finishes what this one started. */
export class GraphUnreachable extends Error {
  constructor(
    readonly request: GraphRequest,
    readonly graphUrl: string,
    reason: string,
  ) {
    super(`${request.method} ${request.path}: Microsoft Graph at ${graphUrl} ${reason}`);
    this.name = 'GraphUnreachable';
  }
}

/** Graph at `graphUrl` (`https://graph.microsoft.com`), called with an administrator's token. */
export function graphAt(graphUrl: string, token: string, timeoutMs: number): Graph {
  return {
    async send(request) {
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(request.createIfMissing ? { prefer: 'create-if-missing' } : {}),
      };
      let answer: Awaited<ReturnType<typeof fetchWithin>>;
      try {
        answer = await fetchWithin(
          `${graphUrl}/v1.0${request.path}`,
          {
            method: request.method,
            headers,
            ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
          },
          { timeoutMs },
        );
      } catch (error) {
        if (error instanceof NoAnswer) throw new GraphUnreachable(request, graphUrl, error.reason);
        throw error;
      }
      const json = parse(answer.text);
      if (answer.status >= 400) {
        const { code, message } = (json?.error ?? {}) as { code?: string; message?: string };
        throw new GraphError(
          request,
          answer.status,
          code ?? 'no error code',
          message ?? 'no message',
        );
      }
      return { status: answer.status, json };
    },
  };
}

function parse(text: string): Record<string, unknown> | undefined {
  if (text === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A dry run: prints each request as it would be sent to `graphUrl`, the token masked, and answers
 * as Graph answers a first run (nothing found, every object new, with placeholders for the ids
 * Graph assigns), or, `registered`, an unregister after one (every application found).
 * Nothing is sent.
 */
export function dryRun(
  graphUrl: string,
  print: (text: string) => void,
  { registered = false }: { registered?: boolean } = {},
): Graph {
  return {
    async send(request) {
      const lines = [
        `${request.method} ${graphUrl}/v1.0${request.path}`,
        'Authorization: Bearer ***',
      ];
      if (request.createIfMissing) lines.push('Prefer: create-if-missing');
      if (request.body !== undefined) {
        lines.push('Content-Type: application/json', '', JSON.stringify(request.body, null, 2));
      }
      print(`${lines.join('\n')}\n`);
      // A first run finds nothing: every object is made. An unregister finds what a run made.
      if (request.method === 'GET' && !registered) {
        throw new GraphError(request, 404, 'Request_ResourceNotFound', 'none yet (dry run)');
      }
      return { status: request.method === 'PATCH' ? 201 : 200, json: placeholderAnswer(request) };
    },
  };
}

/** What Graph would answer a first run: the ids it would assign, as placeholders. */
function placeholderAnswer(request: GraphRequest): Record<string, unknown> | undefined {
  if (request.method === 'DELETE') return undefined;
  if (request.path.includes('/addPassword')) {
    return { keyId: '{keyId}', hint: '***', secretText: '***', endDateTime: null };
  }
  if (request.path.startsWith('/servicePrincipals')) return { id: '{servicePrincipalId}' };
  return { id: '{applicationId}', appId: '{appId}', passwordCredentials: [] };
}
