/**
 * What a sample's card on the landing page says: whether any tokens it holds were left behind by
 * a sign-out — tokens that only sessions of an ended identity platform session reach (signed
 * out, or revoked), or that no session here reaches at all.
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
  /** Whether this page sees the identity platform's sign-outs (the emulator's events). */
  watching: boolean;
}

export function cardOf(summary: Inspection, feed: TimelineFeed, watching: boolean): Card {
  const now = Date.now();
  const leftBehind = summary.holders.flatMap((holder): LeftBehind[] => {
    const ended = holder.sessions.map((label) => feed.endedBefore(label, now));
    if (holder.sessions.length > 0 && ended.some((each) => each === undefined)) return [];
    const revoked = ended.some((each) => each?.how === 'revoked');
    const [first] = holder.sessions;
    const why =
      first === undefined
        ? 'no session here reaches them'
        : `session ${first} ${revoked ? 'revoked by an administrator' : 'signed out'}`;
    const { user, refreshTokens, accessTokenExpiresOn } = holder;
    return [{ user, why, refreshTokens, accessTokenExpiresOn, revoked }];
  });
  const state =
    leftBehind.length > 0 ? 'left-behind' : summary.holders.length > 0 ? 'signed-in' : 'empty';
  return { state, leftBehind, watching };
}
