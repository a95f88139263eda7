import {
  AuthError,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { fetchWithin, NoAnswer } from '../outbound.ts';

/**
 * msal's HTTP client, with a timeout on every call: msal-node's own sends token requests (POST)
 * with none, so a token endpoint that hangs would hang the sign-in or the page with it.
 *
 * No usable answer (none at all, 429 or 5xx, not JSON) is thrown as msal's `network_error`
 * carrying, as its message, what happened in a few words ("refused the connection", "did not
 * answer in time", "answered 503"); `silent-token.ts` turns it into a page that names the
 * identity platform. An error must be an msal `AuthError` for msal to pass it on unchanged.
 */
export class TimeoutNetworkClient implements INetworkModule {
  /** @param timeoutMs how long a call may take, answer included (OUTBOUND_TIMEOUT_SECONDS). */
  constructor(private readonly timeoutMs: number) {}

  sendGetRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> {
    return this.send<T>(url, 'GET', options, timeout);
  }

  sendPostRequestAsync<T>(
    url: string,
    options?: NetworkRequestOptions,
  ): Promise<NetworkResponse<T>> {
    return this.send<T>(url, 'POST', options, undefined);
  }

  private async send<T>(
    url: string,
    method: 'GET' | 'POST',
    options: NetworkRequestOptions | undefined,
    timeout: number | undefined,
  ): Promise<NetworkResponse<T>> {
    const unusable = (reason: string) =>
      new AuthError('network_error', options?.correlationId ?? '', reason);
    // msal asks for a timeout only for region discovery; 0 means none. Never more than ours.
    const timeoutMs = timeout && timeout > 0 ? Math.min(timeout, this.timeoutMs) : this.timeoutMs;
    let answer: Awaited<ReturnType<typeof fetchWithin>>;
    try {
      answer = await fetchWithin(
        url,
        {
          method,
          ...(options?.headers ? { headers: options.headers } : {}),
          ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
        },
        { timeoutMs },
      );
    } catch (error) {
      if (error instanceof NoAnswer) throw unusable(error.reason);
      throw error;
    }
    const { status, headers, text } = answer;
    // Busy or failing: no answer to give msal (which would raise a ServerError and a 500 page).
    if (status === 429 || status >= 500) throw unusable(`answered ${status}`);
    let body: T;
    try {
      body = JSON.parse(text) as T;
    } catch {
      throw unusable(`answered ${status} with something other than JSON`);
    }
    return { headers, body, status };
  }
}
