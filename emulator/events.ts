/**
 * What the identity platform did, in order, for people watching it work (the landing page's
 * timeline): sign-ins, tokens issued and refused, sign-outs and the apps they told. Sentences and
 * names only: never a token, a code or a password. Served at `GET /events` (see `identity-app.ts`).
 */
import { createHash, randomUUID } from 'node:crypto';

export interface EmulatorEvent {
  /** 1, 2, 3… in this emulator's lifetime. */
  seq: number;
  /** Epoch milliseconds. */
  at: number;
  kind:
    | 'signed-in'
    | 'sso'
    | 'tokens-issued'
    | 'refreshed'
    | 'refused'
    | 'signed-out'
    | 'front-channel'
    | 'not-told'
    | 'revoked'
    | 'api-call';
  text: string;
  /** The user's sign-in name. */
  user?: string;
  /** The app's display name. */
  app?: string;
  /** The identity platform sessions concerned, as {@link sessionLabel}s. */
  sessions?: string[];
}

/** Events kept; the oldest go first. */
const KEPT = 500;
/** The longest a reader may wait for the next event (long polling). */
export const MAX_WAIT_MS = 25_000;
/** Readers waiting at once; more are answered at once, without waiting. */
const MAX_WAITING = 100;

export class EventLog {
  /** Changes when the emulator restarts: a reader then starts again from the beginning. */
  readonly id = randomUUID();
  private readonly events: EmulatorEvent[] = [];
  private readonly waiting = new Set<() => void>();
  private seq = 0;

  record(event: Omit<EmulatorEvent, 'seq' | 'at'>): void {
    this.events.push({ seq: ++this.seq, at: Date.now(), ...event });
    if (this.events.length > KEPT) this.events.shift();
    for (const wake of this.waiting) wake();
    this.waiting.clear();
  }

  /** The events after `seq`; if there are none yet, waits for one up to `waitMs`. */
  async after(seq: number, waitMs = 0): Promise<EmulatorEvent[]> {
    if (this.seq <= seq && waitMs > 0 && this.waiting.size < MAX_WAITING) {
      let wake = () => {};
      const arrived = new Promise<void>((resolve) => {
        wake = resolve;
      });
      this.waiting.add(wake);
      const timer = setTimeout(wake, Math.min(waitMs, MAX_WAIT_MS));
      await arrived;
      clearTimeout(timer);
      this.waiting.delete(wake);
    }
    return this.events.filter((event) => event.seq > seq);
  }
}

/**
 * A short name for an identity platform session, the same wherever it is computed (the samples
 * compute it too): enough to tell sessions apart on a page, without showing the `sid` itself.
 */
export function sessionLabel(sid: string): string {
  return createHash('sha256').update(sid).digest('base64url').slice(0, 6);
}
