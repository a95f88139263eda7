/**
 * What a sample's card on the landing page says: whether any tokens it holds were left behind by
 * a sign-out — tokens that only sessions of an ended identity platform session reach (signed
 * out, or revoked), or that no session here reaches at all — and who is signed in here with no
 * tokens at all (their tokens dropped, or removed, while their session stayed), and why.
 */
import type { Inspection, SignedInSession } from '../../shared/sample/inspector.ts';
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

/** A session signed in here whose user has no tokens here: its next API call signs them in again. */
export interface WithoutTokens {
  user: string;
  /** The identity platform session it signed in through (a label). */
  session: string | undefined;
  /** Why it holds none, as far as this page knows: words, without a time. */
  why: string;
  /** When that happened (epoch ms), if this page knows. */
  at: number | undefined;
}

export interface Card {
  /**
   * `empty`: no tokens, nobody signed in; `signed-in`: tokens of live sessions only;
   * `signed-in-without-tokens`: somebody is signed in, and no tokens are held for anybody;
   * `left-behind`: tokens a sign-out left behind.
   */
  state: 'empty' | 'signed-in' | 'signed-in-without-tokens' | 'left-behind';
  leftBehind: LeftBehind[];
  /** Sessions signed in with no tokens here, whatever the state. */
  withoutTokens: WithoutTokens[];
  /** Whether this page sees the identity platform's sign-outs (the emulator's events). */
  watching: boolean;
}

export function cardOf(
  summary: Inspection,
  feed: TimelineFeed,
  watching: boolean,
  sampleId: string,
): Card {
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
  const withoutTokens = signedInWithoutTokens(summary, feed, sampleId, now);
  const state =
    leftBehind.length > 0
      ? 'left-behind'
      : summary.holders.length > 0
        ? 'signed-in'
        : withoutTokens.length > 0
          ? 'signed-in-without-tokens'
          : 'empty';
  return { state, leftBehind, withoutTokens, watching };
}

/**
 * The sessions signed in here whose user has no tokens here: a session's own cache that is empty
 * (java, python, node), or no partition for the user (aspnetcore, aspnet).
 */
function signedInWithoutTokens(
  summary: Inspection,
  feed: TimelineFeed,
  sampleId: string,
  now: number,
): WithoutTokens[] {
  const holding = new Set(summary.holders.map((holder) => holder.user));
  const seen = new Set<string>();
  return summary.signedIn.flatMap((session): WithoutTokens[] => {
    const none = session.tokens
      ? session.tokens.accessTokens + session.tokens.refreshTokens === 0
      : !holding.has(session.user);
    const key = `${session.user} ${session.session ?? ''}`;
    if (!none || seen.has(key)) return [];
    seen.add(key);
    return [
      {
        user: session.user,
        session: session.session,
        ...whyNoTokens(session, feed, sampleId, now),
      },
    ];
  });
}

/** What this page saw happen to the tokens of a session signed in with none left. */
function whyNoTokens(
  { user, session, signedInAt = 0 }: SignedInSession,
  feed: TimelineFeed,
  sampleId: string,
  now: number,
): Pick<WithoutTokens, 'why' | 'at'> {
  const restartedAt = feed.restartedSince(signedInAt);
  const ended = feed.endedBefore(session, now);
  const lost = feed
    .all()
    .findLast(
      (event) =>
        event.source === sampleId &&
        event.user === user &&
        event.at >= signedInAt &&
        (event.kind === 'sign-in-again' ||
          event.kind === 'tokens-removed' ||
          (event.kind === 'claims-challenge' && event.outcome === 'removed')),
    );
  if (lost?.kind === 'tokens-removed') {
    return { why: 'its tokens were removed from the token cache', at: lost.at };
  }
  // Sent to sign in again because the cache held nothing: nothing was dropped then.
  if (lost && !/holds nothing for them/.test(lost.text)) {
    const refusedBy =
      restartedAt !== undefined && restartedAt <= lost.at
        ? 'the identity platform it signed in with, restarted since, refused them'
        : lost.kind === 'claims-challenge'
          ? 'the API refused its access token with a claims challenge that msal could not meet without the user'
          : ended?.how === 'revoked'
            ? 'the identity platform refused its refresh token: an administrator revoked the session'
            : 'the identity platform refused its refresh token (revoked, expired, or from an identity platform since restarted)';
    return { why: `its tokens were dropped when ${refusedBy}`, at: lost.at };
  }
  if (restartedAt !== undefined) {
    return {
      why: 'the identity platform it signed in with was restarted since: it knows neither the session nor its tokens',
      at: restartedAt,
    };
  }
  return { why: 'the token cache holds nothing for them', at: undefined };
}
