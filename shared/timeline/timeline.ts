/**
 * What a sample did, in order, for people watching it (the landing page's timeline, the sample's
 * `/cache` page): sign-ins, where tokens went, where each API call's token came from, sign-outs
 * and what they removed. Recorded by the shared mechanics on their own code paths, as they act.
 * Sentences, user names and session labels only: never a token, a code or a cookie.
 */
import { sessionLabel } from '../../emulator/index.ts';

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
    | 'sign-in-again'
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
  token?: 'cached access token' | 'refresh token redeemed';
}

export type NewEvent = Omit<TimelineEvent, 'seq' | 'at' | 'source'>;

/** Events kept in memory; the oldest go first. */
const KEPT = 200;
/** The longest text an event keeps. */
const MAX_TEXT = 300;

export class Timeline {
  private readonly events: TimelineEvent[] = [];
  private readonly listeners = new Set<(event: TimelineEvent) => void>();
  private seq = 0;

  constructor(
    readonly source: string,
    /**
     * Off, nothing is recorded: nobody may read it (the cache inspector is off, as against Entra
     * by default), and the code paths that tell it skip what they would do only to tell it.
     */
    readonly enabled = true,
  ) {}

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
