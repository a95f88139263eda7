/**
 * The cache inspector (`GET /cache`): everything a sign-out must remove, as this sample holds it
 * now. Token counts and times, who is signed in, where the last API call's token came from —
 * never a token, a code or a session key.
 */
import type { SessionCensus, Sessions } from '../session/sessions.ts';
import { labelOf, type Timeline, type TimelineEvent } from '../timeline/timeline.ts';
import {
  summarize,
  type TokenCacheSummary,
  type TokenCounts,
} from '../token-cache/serialized-cache.ts';

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

export type Inspection = TokenCacheSummary &
  SessionCensus & {
    /** Up to {@link LISTED} signed-in sessions, most recent first. */
    signedIn: SignedInSession[];
    /** The last API call: for whom, when, with which token. */
    lastTokenUsed: Pick<TimelineEvent, 'at' | 'user' | 'token' | 'text'> | undefined;
  };

const LISTED = 100;

export async function inspect(
  tokenCacheSummary: () => Promise<TokenCacheSummary>,
  sessions: Sessions,
  timeline: Timeline,
): Promise<Inspection> {
  const tokens = await tokenCacheSummary();
  const census = await sessions.census();
  const signedIn = (await sessions.all())
    .flatMap(({ user, tokenCache }): SignedInSession[] => {
      if (!user) return [];
      const { accessTokens, refreshTokens, idTokens } = summarize([tokenCache]);
      return [
        {
          user: user.username,
          homeAccountId: user.homeAccountId,
          session: labelOf(user.sid),
          signedInAt: user.signedInAt,
          ...(tokenCache === undefined
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
    lastTokenUsed: last && { at: last.at, user: last.user, token: last.token, text: last.text },
  };
}
