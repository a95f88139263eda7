import { getRawBodyWeb } from 'raw-body';

/**
 * Every call a sample makes to another service (the identity platform, Microsoft Graph) goes
 * through here: it has a timeout that covers the whole answer, body included, and an answer larger
 * than `maxBytes` is refused. No answer at all is a {@link NoAnswer} that says what happened.
 */
export async function fetchWithin(
  url: string,
  init: RequestInit,
  { timeoutMs, maxBytes = 1024 * 1024 }: { timeoutMs: number; maxBytes?: number },
): Promise<{ status: number; headers: Headers; text: string }> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = response.body
      ? await getRawBodyWeb(response.body, { limit: maxBytes, encoding: 'utf-8' })
      : '';
    return { status: response.status, headers: response.headers, text };
  } catch (error) {
    throw new NoAnswer(reasonOf(error, maxBytes), { cause: error });
  }
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

/** A few words for a failed call: its timeout, its size limit, or its cause's system error code. */
function reasonOf(error: unknown, maxBytes: number): string {
  type Cause = { code?: string; errors?: Array<{ code?: string }> };
  const failure = error as { name?: string; type?: string; cause?: Cause };
  if (failure?.name === 'TimeoutError') return 'did not answer in time';
  if (failure?.type === 'entity.too.large') return `answered with more than ${maxBytes} bytes`;
  // A host name with several addresses (localhost: ::1 and 127.0.0.1) fails with one per address.
  const cause = failure?.cause;
  switch (cause?.code ?? cause?.errors?.[0]?.code) {
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
