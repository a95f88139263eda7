import type { ConfidentialClientApplication } from '@azure/msal-node';
import type Koa from 'koa';
import type { Sessions } from '../session/sessions.ts';
import type { TokenCachePartition, TokenCacheSource } from './cache-plugin.ts';
import { summarize, type TokenCacheSummary } from './serialized-cache.ts';

/**
 * A token cache kept inside each session, serialized: one partition per session, as the java
 * (msal4j, HTTP session attribute `token_cache`) and python (MSAL Python, server-side Flask
 * session) originals did. The cache lives exactly as long as the session: ending the session is
 * what removes the tokens, and nothing else can.
 */
export class SessionTokenCache {
  /** A sign-in's tokens go into the new session, and are saved with it (see `OpenIdSignIn`). */
  readonly keepsTokens = 'in the session' as const;

  constructor(
    private readonly sessions: Sessions,
    private readonly msalClient: (partition: TokenCachePartition) => ConfidentialClientApplication,
  ) {}

  /** Where this request gets its msal client: a new one over its session's cache. */
  forSession(ctx: Koa.Context): TokenCacheSource {
    return {
      lease: async () => {
        if (!ctx.session?.tokenCache) return undefined;
        const partition = this.partition(ctx);
        return { client: this.msalClient(partition), clear: partition.clear, release() {} };
      },
    };
  }

  /** The partition of this request's session; msal's writes are saved with the session. */
  partition(ctx: Koa.Context): TokenCachePartition {
    return {
      load: async () => ctx.session?.tokenCache,
      save: async (serialized) => {
        if (!ctx.session) throw new Error('A session token cache needs the session middleware');
        ctx.session.tokenCache = serialized;
      },
      clear: async () => {
        if (ctx.session) delete ctx.session.tokenCache;
      },
    };
  }

  async summary(): Promise<TokenCacheSummary> {
    return summarize((await this.sessions.all()).map((session) => session.tokenCache));
  }
}
