import {
  AuthError,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { networkFailureReason } from '../errors.ts';

/** How long a call to the identity platform (the token endpoint) may take. */
export const IDENTITY_PLATFORM_TIMEOUT_MS = 10_000;

/**
 * msal's HTTP client, with a timeout on every call: msal-node's own sends token requests (POST)
 * with none, so a token endpoint that hangs would hang the sign-in or the page with it.
 *
 * No answer at all is thrown as msal's `network_error` carrying, as its message, what happened
 * in a few words ("refused the connection", "did not answer in time"); `silent-token.ts` turns it
 * into a page that names the identity platform. An error must be an msal `AuthError` for msal to
 * pass it on unchanged.
 */
export class TimeoutNetworkClient implements INetworkModule {
  constructor(private readonly timeoutMs = IDENTITY_PLATFORM_TIMEOUT_MS) {}

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
    const unreachable = (reason: string) =>
      new AuthError('network_error', options?.correlationId ?? '', reason);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        ...(options?.headers ? { headers: options.headers } : {}),
        ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
        signal: AbortSignal.timeout(Math.min(timeout ?? this.timeoutMs, this.timeoutMs)),
      });
      text = await response.text();
    } catch (error) {
      throw unreachable(networkFailureReason(error));
    }
    let body: T;
    try {
      body = JSON.parse(text) as T;
    } catch {
      throw unreachable(`answered ${response.status} with something other than JSON`);
    }
    return { headers: Object.fromEntries(response.headers), body, status: response.status };
  }
}
