import http from 'node:http';
import https from 'node:https';

/** A call to another service: what `fetchWithin` sends. */
export interface OutboundRequest {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
}

/** Its answer: the status, the headers (lower-case names), the body as text. */
export interface OutboundAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/**
 * Connections kept open between calls, one pool per scheme: an idle one is closed after 4
 * seconds, or a second before the server's `Keep-Alive: timeout` says it will close it (Node's
 * servers: 5 seconds), so that a call does not pick up one the server is closing.
 */
const agents = {
  'http:': new http.Agent({ keepAlive: true, timeout: 4_000 }),
  'https:': new https.Agent({ keepAlive: true, timeout: 4_000 }),
};

/**
 * Every call a sample makes to another service (the identity platform, Microsoft Graph) goes
 * through here: it has a timeout that covers the whole answer, body included, and an answer larger
 * than `maxBytes` is refused. No answer at all is a {@link NoAnswer} that says what happened.
 *
 * Node's `http.request` over kept-alive connections, not `fetch`: every API route makes such a
 * call, and `fetch` takes several times the CPU of the sample's event loop for it.
 */
export function fetchWithin(
  url: string,
  request: OutboundRequest,
  { timeoutMs, maxBytes = 1024 * 1024 }: { timeoutMs: number; maxBytes?: number },
): Promise<OutboundAnswer> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch (error) {
      reject(new NoAnswer('has an address that is not a URL', { cause: error }));
      return;
    }
    const scheme = target.protocol === 'https:' ? 'https:' : 'http:';
    const { method = 'GET', headers = {}, body } = request;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (reason: string, cause?: unknown) =>
      settle(() => {
        outgoing.destroy();
        reject(new NoAnswer(reason, { cause }));
      });
    const outgoing = (scheme === 'https:' ? https : http).request(
      target,
      {
        method,
        agent: agents[scheme],
        headers:
          body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        let size = 0;
        incoming.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) fail(`answered with more than ${maxBytes} bytes`);
          else chunks.push(chunk);
        });
        incoming.on('end', () =>
          settle(() =>
            resolve({
              status: incoming.statusCode ?? 0,
              headers: headersOf(incoming.headers),
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          ),
        );
        incoming.on('error', (error) => fail(reasonOf(error), error));
        incoming.on('close', () => {
          if (!incoming.complete) fail('closed the connection before answering');
        });
      },
    );
    const timer = setTimeout(() => fail('did not answer in time'), timeoutMs);
    outgoing.on('error', (error) => fail(reasonOf(error), error));
    outgoing.end(body);
  });
}

function headersOf(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** A service did not answer; `reason` says what happened, in a few words. */
export class NoAnswer extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(reason, options);
    this.name = 'NoAnswer';
  }
}

/** A few words for a failed connection: its system error code. */
function reasonOf(error: unknown): string {
  type Failure = { code?: string; errors?: Array<{ code?: string }> };
  // A host name with several addresses (localhost: ::1 and 127.0.0.1) fails with one per address.
  const failure = error as Failure;
  switch (failure?.code ?? failure?.errors?.[0]?.code) {
    case 'ECONNREFUSED':
      return 'refused the connection (is it running?)';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'closed the connection before answering';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'has a host name that does not resolve';
    default:
      return 'could not be reached';
  }
}
