/**
 * The cache inspector (`GET /cache`): everything a sign-out must remove, as this sample holds it
 * now. Token counts and times, who is signed in, where the last API call's token came from —
 * never a token, a code or a session key.
 */
import Router from '@koa/router';
import type { SessionCensus, SessionData, Sessions } from '../core/session/sessions.ts';
import type { TokenCacheSummary, TokenCounts } from '../core/token-cache/serialized-cache.ts';
import { summarizeSessions } from '../core/token-cache/session-token-cache.ts';
import type { TokenCacheOperations } from '../core/token-cache/token-cache.ts';
import { labelOf, type Timeline, type TimelineEvent } from '../timeline/timeline.ts';
import { render } from '../web/render.ts';

/** A signed-in session, as the inspector shows it. */
export interface SignedInSession {
  user: string;
  homeAccountId: string;
  /** The identity platform session it signed in through (a label, never the `sid`). */
  session: string | undefined;
  signedInAt: number | undefined;
  /** Samples that keep the token cache in the session: what this session's holds. */
  tokens?: TokenCounts;
}

/**
 * Tokens of one user that one sign-out could leave behind: a session's own cache (java, python),
 * or a user's partition (aspnetcore, aspnet) with every session that reaches it.
 */
export interface TokenHolder {
  user: string;
  /** The identity platform sessions (labels) of the app sessions that reach these tokens. */
  sessions: string[];
  refreshTokens: number;
  /** The latest expiry of its access tokens (epoch ms), if it holds any. */
  accessTokenExpiresOn: number | undefined;
}

export type Inspection = TokenCacheSummary &
  SessionCensus & {
    /** Up to {@link LISTED} signed-in sessions, most recent first. */
    signedIn: SignedInSession[];
    /** Every holder of tokens, whatever the number of sessions. */
    holders: TokenHolder[];
    /** The last API call: for whom, when, with which token. */
    lastTokenUsed: Pick<TimelineEvent, 'at' | 'user' | 'token' | 'text'> | undefined;
  };

const LISTED = 100;

/**
 * `GET /cache`: the token cache, and the sessions and `sid` records beside it (what a sign-out must
 * remove), as a page, or as JSON for whoever asks for it.
 */
export function cacheInspector(
  tokenCache: TokenCacheOperations,
  { sessions, timeline }: { sessions: Sessions; timeline: Timeline },
  cacheUrl: string,
): Router {
  return new Router().get('/cache', async (ctx) => {
    const summary = await inspect(tokenCache, sessions, timeline);
    if (ctx.accepts('html', 'json') === 'json') {
      ctx.body = summary;
    } else {
      const events = timeline.all().slice(-30).reverse();
      await render(ctx, 'cache', { title: 'Token cache', summary, events, cacheUrl });
    }
  });
}

export async function inspect(
  tokenCache: TokenCacheOperations,
  sessions: Sessions,
  timeline: Timeline,
): Promise<Inspection> {
  const tokens = await tokenCache.summary();
  const census = await sessions.census();
  const all = await sessions.all();
  const signedIn = all
    .flatMap((session): SignedInSession[] => {
      const { user, tokenCache, accessToken } = session;
      if (!user) return [];
      const { accessTokens, refreshTokens, idTokens } = summarizeSessions([session]);
      return [
        {
          user: user.username,
          homeAccountId: user.homeAccountId,
          session: labelOf(user.sid),
          signedInAt: user.signedInAt,
          ...(tokenCache === undefined && accessToken === undefined
            ? {}
            : { tokens: { accessTokens, refreshTokens, idTokens } }),
        },
      ];
    })
    .sort((a, b) => (b.signedInAt ?? 0) - (a.signedInAt ?? 0))
    .slice(0, LISTED);
  const last = timeline.last((event) => event.kind === 'api-call');
  return {
    ...tokens,
    ...census,
    removalMarkers: census.removalMarkers + (tokens.removalMarkers ?? 0),
    signedIn,
    holders: holdersOf(all, tokens),
    lastTokenUsed: last && { at: last.at, user: last.user, token: last.token, text: last.text },
  };
}

function holdersOf(all: SessionData[], tokens: TokenCacheSummary): TokenHolder[] {
  const holders: TokenHolder[] = [];
  const inSessions = new Set<string>();
  const latest = (expiries: number[]) => (expiries.length > 0 ? Math.max(...expiries) : undefined);
  // A cache in each session: each session holds tokens of its own.
  for (const session of all) {
    const { user } = session;
    if (!user || (session.tokenCache === undefined && session.accessToken === undefined)) continue;
    const [account] = summarizeSessions([session]).accounts;
    if (!account || account.accessTokens + account.refreshTokens === 0) continue;
    inSessions.add(account.homeAccountId);
    holders.push({
      user: user.username,
      sessions: [labelOf(user.sid) ?? ''],
      refreshTokens: account.refreshTokens,
      accessTokenExpiresOn: latest(account.accessTokenTimes.map((times) => times.expiresOn)),
    });
  }
  // A partition per user: every session of the user reaches it.
  for (const account of tokens.accounts) {
    if (inSessions.has(account.homeAccountId)) continue;
    if (account.accessTokens + account.refreshTokens === 0) continue;
    const labels = all.flatMap(({ user }) =>
      user?.homeAccountId === account.homeAccountId ? [labelOf(user.sid) ?? ''] : [],
    );
    holders.push({
      user: account.username,
      sessions: [...new Set(labels)],
      refreshTokens: account.refreshTokens,
      accessTokenExpiresOn: latest(account.accessTokenTimes.map((times) => times.expiresOn)),
    });
  }
  return holders;
}
