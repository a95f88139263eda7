/**
 * What a sample's card on the landing page says: who it holds tokens for, and whether any of
 * those were left behind by a sign-out — tokens of an identity platform session that has ended
 * (signed out, or revoked), or of nobody signed in here at all.
 */
import type { Inspection } from '../../shared/sample/inspector.ts';
import type { TimelineFeed } from './timeline-feed.ts';

export interface LeftBehind {
  user: string;
  /** Why they count as left behind. */
  why: string;
  refreshTokens: number;
  /** The latest expiry of the access tokens held (epoch ms), if any. */
  accessTokenExpiresOn: number | undefined;
  /** An administrator revoked the session: the refresh token is refused from now on. */
  revoked: boolean;
}

export interface Card {
  state: 'empty' | 'signed-in' | 'left-behind';
  leftBehind: LeftBehind[];
}

export function cardOf(summary: Inspection, feed: TimelineFeed): Card {
  const leftBehind: LeftBehind[] = [];
  const now = Date.now();
  for (const account of summary.accounts) {
    if (account.accessTokens + account.refreshTokens === 0) continue;
    const sessions = summary.signedIn.filter(
      (each) => each.homeAccountId === account.homeAccountId,
    );
    // Where each session keeps its own cache, only the sessions with tokens count.
    const holding = sessions.filter(
      (each) => !each.tokens || each.tokens.refreshTokens + each.tokens.accessTokens > 0,
    );
    const ended = holding.map((each) => feed.endedBefore(each.session, now));
    if (holding.length > 0 && ended.some((each) => each === undefined)) continue;
    const revoked = ended.some((each) => each?.how === 'revoked');
    const [first] = holding;
    const why =
      holding.length === 0
        ? 'no session here uses them'
        : `session ${first?.session} ${revoked ? 'revoked by an administrator' : 'signed out'}`;
    const expiries = account.accessTokenTimes.map((times) => times.expiresOn);
    leftBehind.push({
      user: account.username,
      why,
      refreshTokens: account.refreshTokens,
      accessTokenExpiresOn: expiries.length > 0 ? Math.max(...expiries) : undefined,
      revoked,
    });
  }
  const holdsTokens = summary.accessTokens + summary.refreshTokens > 0;
  return {
    state: leftBehind.length > 0 ? 'left-behind' : holdsTokens ? 'signed-in' : 'empty',
    leftBehind,
  };
}
