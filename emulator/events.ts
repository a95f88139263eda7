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
    | 'account-disabled'
    | 'account-enabled'
    | 'password-reset'
    | 'cae-challenge'
    | 'api-call'
    | 'application';
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
/** Readers waiting at once; more are refused (`TooManyReaders`). */
const MAX_WAITING = 100;
/** The longest text an event keeps: what a request names (a path, a client id) is clipped. */
const MAX_TEXT = 300;

/** Too many readers are waiting already: the caller answers 503. */
export class TooManyReaders extends Error {}

export class EventLog {
  /** Changes when the emulator restarts: a reader then starts again from the beginning. */
  readonly id = randomUUID();
  private readonly events: EmulatorEvent[] = [];
  private readonly waiting = new Set<() => void>();
  private seq = 0;

  record(event: Omit<EmulatorEvent, 'seq' | 'at'>): void {
    const text = event.text.length > MAX_TEXT ? `${event.text.slice(0, MAX_TEXT)}…` : event.text;
    this.events.push({ seq: ++this.seq, at: Date.now(), ...event, text });
    if (this.events.length > KEPT) this.events.shift();
    for (const wake of this.waiting) wake();
    this.waiting.clear();
  }

  /**
   * The events after `seq`; if there are none yet, waits for one up to `waitMs`, or until the
   * reader goes away (`gone`).
   */
  async after(seq: number, waitMs: number, gone: AbortSignal): Promise<EmulatorEvent[]> {
    if (this.seq <= seq && waitMs > 0) {
      if (this.waiting.size >= MAX_WAITING) throw new TooManyReaders();
      let wake = () => {};
      const arrived = new Promise<void>((resolve) => {
        wake = resolve;
      });
      this.waiting.add(wake);
      const timer = setTimeout(wake, Math.min(waitMs, MAX_WAIT_MS));
      timer.unref();
      gone.addEventListener('abort', wake, { once: true });
      await arrived;
      clearTimeout(timer);
      gone.removeEventListener('abort', wake);
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
