/**
 * Whether a client secret still works, asked of the identity platform itself: a client
 * credentials request for Microsoft Graph (`…/.default`), which succeeds only with a current secret
 * of the app. Graph never shows a secret again, only its first three characters: that is no proof.
 * The token it returns is dropped unread.
 */
import { NoAnswer, type OutboundAnswer } from '../core/outbound.ts';
import { postForm } from './admin-token.ts';
import type { SecretCheck } from './register.ts';

/** The identity platform gave no answer on a secret: the run stops, to be run again. */
export class SecretCheckFailed extends Error {
  override name = 'SecretCheckFailed';
}

/** Microsoft Graph, named by its application id: the same in every cloud and in the emulator. */
const GRAPH_DEFAULT_SCOPE = '00000003-0000-0000-c000-000000000000/.default';

/** The check against the token endpoint of `instance` (`https://login.microsoftonline.com`). */
export function secretCheckAt(instance: string, tenantId: string, timeoutMs: number): SecretCheck {
  const tokenUrl = `${instance}/${tenantId}/oauth2/v2.0/token`;
  return async (clientId, secret) => {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
      scope: GRAPH_DEFAULT_SCOPE,
    });
    let answer: OutboundAnswer;
    try {
      answer = await postForm(tokenUrl, body, timeoutMs);
    } catch (error) {
      if (!(error instanceof NoAnswer)) throw error;
      throw new SecretCheckFailed(
        `The identity platform at ${instance} ${error.reason}: run this again`,
      );
    }
    if (answer.status === 200) return true;
    // `invalid_client`: a wrong, removed or expired secret, or an app it does not know.
    if (/"invalid_client"|"unauthorized_client"/.test(answer.text)) return false;
    const code = /AADSTS\d+/.exec(answer.text)?.[0] ?? `status ${answer.status}`;
    throw new SecretCheckFailed(
      `The identity platform could not check ${clientId}'s secret (${code}): run this again`,
    );
  };
}
