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
    | 'front-channel';
  text: string;
  /** The user's sign-in name. */
  user?: string;
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

export class Timeline {
  private readonly events: TimelineEvent[] = [];
  private readonly listeners = new Set<(event: TimelineEvent) => void>();
  private seq = 0;

  constructor(readonly source: string) {}

  record(event: NewEvent): void {
    const recorded: TimelineEvent = {
      seq: ++this.seq,
      at: Date.now(),
      source: this.source,
      ...event,
    };
    this.events.push(recorded);
    if (this.events.length > KEPT) this.events.shift();
    for (const listener of this.listeners) listener(recorded);
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
