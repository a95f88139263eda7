/**
 * What a sample did, in order, for people watching it (the landing page's timeline, the sample's
 * `/cache` page): sign-ins, where tokens went, where each API call's token came from, sign-outs
 * and what they removed. It listens to the core's events (`shared/core/events.ts`) of one app, and
 * tells them as sentences; the sign-out observer adds what each sign-out request did.
 * Sentences, user names and session labels only: never a token, a code or a cookie.
 */
import { sessionLabel } from '../../emulator/index.ts';
import { type CoreEvent, onCoreEvent, type TokenSource } from '../core/events.ts';

export interface TimelineEvent {
  /** 1, 2, 3… in this timeline. */
  seq: number;
  /** Epoch milliseconds. */
  at: number;
  /** Which sample (instance) did it: `aspnetcore`, `aspnetcore-2`… */
  source: string;
  kind:
    | 'sign-in-started'
    | 'signed-in'
    | 'sign-in-failed'
    | 'api-call'
    | 'token-acquired'
    | 'sign-in-again'
    | 'claims-challenge'
    | 'tokens-removed'
    | 'sessions-ended'
    | 'local-sign-out'
    | 'front-channel'
    | 'sign-out-waiting';
  text: string;
  /** The user's sign-in name. */
  user?: string;
  /** msal's home account id of the user, where the event is about their tokens. */
  account?: string;
  /** The identity platform session, as a label (see `sessionLabel`), never the `sid` itself. */
  session?: string;
  /** What became of the user's tokens, where the event decides it. */
  outcome?: 'removed' | 'left-behind';
  /** API calls: where the access token came from. */
  token?: TokenSource;
}

export type NewEvent = Omit<TimelineEvent, 'seq' | 'at' | 'source'>;

/** Events kept in memory; the oldest go first. */
const KEPT = 200;
/** The longest text an event keeps. */
const MAX_TEXT = 300;

/** How many users' names a timeline remembers, to name the owner of tokens removed. */
const NAMES_KEPT = 1_000;

export class Timeline {
  private readonly events: TimelineEvent[] = [];
  private readonly listeners = new Set<(event: TimelineEvent) => void>();
  private seq = 0;
  /** User names by home account id, as the events of this app said them. */
  private readonly names = new Map<string, string>();
  private readonly unsubscribe: () => void;

  constructor(
    /** The app whose events it tells: `aspnetcore`, `aspnetcore-2`… */
    readonly source: string,
    /**
     * Off, nothing is recorded and the core's events are not listened to: nobody may read it (the
     * cache inspector is off, as against Entra by default).
     */
    readonly enabled = true,
  ) {
    this.unsubscribe = enabled
      ? onCoreEvent((event) => {
          if (event.app === source) this.record(this.tell(event));
        })
      : () => {};
  }

  /** Stops listening (the sample is stopping). */
  close(): void {
    this.unsubscribe();
  }

  record(event: NewEvent): void {
    if (!this.enabled) return;
    const text = event.text.length > MAX_TEXT ? `${event.text.slice(0, MAX_TEXT)}…` : event.text;
    const recorded: TimelineEvent = {
      seq: ++this.seq,
      at: Date.now(),
      source: this.source,
      ...event,
      text,
    };
    this.events.push(recorded);
    if (this.events.length > KEPT) this.events.shift();
    // Told from within sign-outs: whatever a listener does, the sign-out goes on.
    for (const listener of this.listeners) {
      try {
        listener(recorded);
      } catch {
        // the listener's own problem (a page's stream that broke)
      }
    }
  }

  /** The events kept, oldest first. */
  all(): readonly TimelineEvent[] {
    return this.events;
  }

  /** The most recent event that `matches`. */
  last(matches: (event: TimelineEvent) => boolean): TimelineEvent | undefined {
    return this.events.findLast(matches);
  }

  /** A core event as a sentence. */
  private tell(event: CoreEvent): NewEvent {
    if ('user' in event) this.remember(event.user.homeAccountId, event.user.username);
    const said = 'user' in event ? { user: event.user.username, ...labelled(event.user.sid) } : {};
    switch (event.type) {
      case 'sign-in-started':
        return {
          kind: 'sign-in-started',
          text: `Sign-in started: the browser goes to the identity platform (response by ${event.responseMode}${event.prompt ? `, prompt=${event.prompt}` : ''})`,
        };
      case 'signed-in':
        return {
          kind: 'signed-in',
          text: `Code redeemed: ${event.user.username} signed in (identity platform session ${labelOf(event.user.sid)}); msal wrote an access, a refresh and an id token to ${event.tokensKeptIn === 'the session' ? 'the session' : "the user's partition of the token cache"}`,
          ...said,
        };
      case 'sign-in-failed':
        return { kind: 'sign-in-failed', text: `Sign-in failed: ${event.reason}` };
      case 'api-called':
        return {
          kind: 'api-call',
          text: `Called the API (${event.path}) for ${event.user.username} with ${describeToken(event)}`,
          ...said,
          token: event.source,
        };
      case 'token-acquired':
        return {
          kind: 'token-acquired',
          text: `Took an access token for ${event.user.username} from the token cache, for the app to keep a copy of: ${describeToken(event)}`,
          ...said,
          token: event.source,
        };
      case 'sign-in-again':
        return {
          kind: 'sign-in-again',
          text: `No API call for ${event.user.username}: ${WHY[event.reason]}. Sent to sign in again.`,
          ...said,
        };
      case 'claims-challenge':
        return {
          kind: 'claims-challenge',
          text:
            event.outcome === 'renewed'
              ? `The API refused ${event.user.username}'s access token with a claims challenge (CAE: an administrator acted). Token dropped; msal redeemed the refresh token with the claims; new token, call made again`
              : `The API refused ${event.user.username}'s access token with a claims challenge (CAE: sessions revoked, account disabled, password reset). msal could not meet it without the user: tokens dropped; sent to sign in with the claims`,
          ...said,
          ...(event.outcome === 'sign-in-again' ? { outcome: 'removed' as const } : {}),
        };
      case 'tokens-removed': {
        const user = this.names.get(event.homeAccountId);
        return {
          kind: 'tokens-removed',
          text: `Removed ${user ? `${user}'s tokens` : `the tokens of account ${event.homeAccountId}`} from the token cache: their partition, if there was one, deleted`,
          ...(user ? { user } : {}),
          account: event.homeAccountId,
          outcome: 'removed',
        };
      }
      case 'sessions-ended':
        return {
          kind: 'sessions-ended',
          text: `Ended ${event.sessions} session(s) signed in through identity platform session ${labelOf(event.sid)}, found by its sid`,
          ...labelled(event.sid),
          outcome: 'removed',
        };
      case 'sign-out-pending': {
        const session = labelOf(event.sid);
        return {
          kind: 'sign-out-waiting',
          text: {
            waiting: `Front-channel sign-out of session ${session} kept: the store did not answer; it is carried out as soon as it does`,
            'carried out': `Front-channel sign-out of session ${session} carried out: the store answers again`,
            failing: `Front-channel sign-out of session ${session} kept, and failing otherwise than for want of an answer: tried again every second`,
          }[event.state],
          ...labelled(event.sid),
        };
      }
    }
  }

  private remember(homeAccountId: string, username: string): void {
    this.names.delete(homeAccountId);
    this.names.set(homeAccountId, username);
    if (this.names.size > NAMES_KEPT) this.names.delete(this.names.keys().next().value as string);
  }

  /** Calls `listener` with every event from now on; returns how to stop. */
  subscribe(listener: (event: TimelineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The label of the identity platform session `sid`, the same the emulator's events carry. */
export function labelOf(sid: string | undefined): string | undefined {
  return sid ? sessionLabel(sid) : undefined;
}

function labelled(sid: string): { session?: string } {
  const session = labelOf(sid);
  return session ? { session } : {};
}

function describeToken({ source, expiresOn }: { source: TokenSource; expiresOn?: number }): string {
  const minutes = expiresOn ? Math.round((expiresOn - Date.now()) / 60_000) : undefined;
  const expiry = minutes === undefined ? '' : ` (expires in ${minutes} min)`;
  return {
    'cached access token': `the cached access token${expiry}`,
    'refresh token redeemed': `a new access token${expiry}: the cached refresh token was redeemed`,
    'access token kept in the session': 'the access token kept in the session, beside the cache',
  }[source];
}

const WHY = {
  'no-account': 'the token cache holds nothing for them',
  interaction:
    'the identity platform wants the user (consent, MFA…); the refresh token itself was not refused',
  refused:
    'the identity platform refused the refresh token (revoked, expired, or from an identity platform since restarted); the cached tokens are dropped',
} as const;
