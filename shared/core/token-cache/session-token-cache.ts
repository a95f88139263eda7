import type { ConfidentialClientApplication } from '@azure/msal-node';
import type { SessionData, Sessions } from '../session/sessions.ts';
import type { TokenCachePartition } from './cache-plugin.ts';
import { type AccessTokenTimes, summarize, type TokenCacheSummary } from './serialized-cache.ts';
import type { ClientLease, TokenCacheOperations, TokenCacheRequest } from './token-cache.ts';

/**
 * A token cache kept inside each session, serialized: one partition per session, as the java
 * (msal4j, HTTP session attribute `token_cache`) and python (MSAL Python, server-side Flask
 * session) originals did. The cache lives exactly as long as the session: ending the session is
 * what removes the tokens, and nothing else can reach them.
 */
export class SessionTokenCache implements TokenCacheOperations {
  /** A sign-in's tokens go into the new session, and are saved with it (see `OpenIdSignIn`). */
  readonly keepsTokens = 'in the session' as const;

  constructor(
    private readonly sessions: Sessions,
    private readonly msalClient: (partition: TokenCachePartition) => ConfidentialClientApplication,
  ) {}

  /** A new msal client over the request's session's cache; msal's writes are saved with the session. */
  async lease({ session }: TokenCacheRequest): Promise<ClientLease | undefined> {
    if (!session?.tokenCache) return undefined;
    const partition: TokenCachePartition = {
      load: async () => session.tokenCache,
      save: async (serialized) => {
        session.tokenCache = serialized;
      },
      clear: async () => {
        delete session.tokenCache;
      },
    };
    return { client: this.msalClient(partition), partition, clear: partition.clear, release() {} };
  }

  /** The tokens of the user in this session; their other sessions keep theirs until they end. */
  async remove(homeAccountId: string, session?: SessionData | null): Promise<void> {
    if (session?.user?.homeAccountId === homeAccountId) {
      delete session.tokenCache;
      delete session.accessToken;
    }
  }

  /** Every session's cache, and the copies of an access token some apps keep beside it. */
  async summary(): Promise<TokenCacheSummary> {
    return summarizeSessions(await this.sessions.all());
  }
}

/** What sessions hold: the caches serialized in them, and the copies of an access token kept beside. */
export function summarizeSessions(sessions: SessionData[]): TokenCacheSummary {
  const copies = sessions.flatMap(({ user, accessToken }) =>
    user && accessToken ? [{ ...user, times: timesOfCopy(accessToken) }] : [],
  );
  return summarize(
    sessions.map((session) => session.tokenCache),
    copies,
  );
}

/**
 * When a kept copy was issued and expires, and its scopes, read from the token's own claims for
 * the inspector (`iat`, `exp`, `scp`). A token that is not a JWT (Graph's may be opaque to the
 * app) has none to show.
 */
function timesOfCopy(accessToken: string): AccessTokenTimes | undefined {
  try {
    const payload = accessToken.split('.')[1] ?? '';
    const { iat, exp, scp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof iat !== 'number' || typeof exp !== 'number') return undefined;
    return {
      scopes: `${scp ?? ''} (the copy kept in the session)`,
      cachedAt: iat * 1000,
      expiresOn: exp * 1000,
    };
  } catch {
    return undefined;
  }
}
