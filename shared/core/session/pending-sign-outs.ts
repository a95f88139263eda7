import { AsyncResource } from 'node:async_hooks';
import type Koa from 'koa';
import { ServiceUnavailableError } from '../errors.ts';
import { emit } from '../events.ts';
import { isSid, SESSION_MAX_AGE_MS } from './sessions.ts';

/** At most this many sign-outs wait at once (a flood of random `sid`s while the store is down). */
const MAX_PENDING = 10_000;
/** How often a waiting sign-out is tried again. */
const RETRY_MS = 1_000;

/**
 * Front-channel sign-outs this process took while the store did not answer, carried out as soon as
 * it does.
 *
 * Why: the identity platform loads the front-channel logout URL once and never again; a sample
 * that answers 503 because Redis is down has lost the sign-out for good, and the user's tokens stay
 * until their session expires. So a sign-out that cannot be carried out now is kept here and tried
 * again every second until the store answers; meanwhile a request of a session of that `sid` is
 * signed out first, before anything else (`middleware`): it is never served tokens here. Another
 * instance of the sample does not know of it: it serves that `sid` until this instance has carried
 * the sign-out out (within a second of Redis answering again; see docs/redis.md).
 *
 * Only a store that does not answer (`ServiceUnavailableError`) is waited out; any other failure
 * is a failure. What waits is bounded: at most 10,000 `sid`s, each for at most the lifetime of a
 * session (after which nothing of it can be left), so a flood of made-up `sid`s cannot grow it
 * without end; past the bound, the sign-out is refused with a 503, as before.
 */
export class PendingSignOuts {
  /** When each waiting sign-out was taken (epoch ms), by `sid`. */
  private readonly waiting = new Map<string, number>();
  /** The sign-outs being carried out right now, so that the retry and a request never race. */
  private readonly running = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private retrying = false;
  /** Kept sign-outs that failed otherwise than for want of an answer (told once each). */
  private readonly failed = new Set<string>();
  /**
   * Where the retries run: the context this was built in, not that of the request whose sign-out
   * first had to wait (a timer keeps the context it was made in, and whatever that holds).
   */
  private readonly home = new AsyncResource('PendingSignOuts');

  constructor(
    /** Carries out the sign-out of `sid`; safe to run again after it failed half-way. */
    private readonly carryOut: (sid: string) => Promise<void>,
    /** Names this app in the events it emits (`sign-out-pending`) and in the log. */
    private readonly app: string,
  ) {}

  /**
   * Carries out the sign-out of `sid` now; if the store does not answer, keeps it to carry out as
   * soon as it does. `'waiting'` then, `'done'` otherwise.
   */
  async signOut(sid: string): Promise<'done' | 'waiting'> {
    try {
      await this.run(sid);
      return 'done';
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError) || !isSid(sid)) throw error;
      if (!this.waiting.has(sid) && this.waiting.size >= MAX_PENDING) throw error;
      this.waiting.set(sid, this.waiting.get(sid) ?? Date.now());
      this.tell(sid, 'waiting');
      this.timer ??= this.home.runInAsyncScope(() =>
        setInterval(() => this.retry(), RETRY_MS).unref(),
      );
      return 'waiting';
    }
  }

  /** Whether a sign-out of `sid` waits here. */
  has(sid: string | undefined): boolean {
    return sid !== undefined && this.waiting.has(sid);
  }

  /**
   * Before a request of a signed-in session: if a sign-out of its `sid` waits, it is carried out
   * first (or the request fails with the store's 503), and the request goes on signed out.
   */
  middleware(): Koa.Middleware {
    return async (ctx, next) => {
      const sid = ctx.session?.user?.sid;
      if (this.has(sid)) {
        await this.run(sid as string);
        ctx.session = null;
      }
      await next();
    };
  }

  /** Stops trying: what still waits is dropped (the process is stopping). */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.waiting.clear();
    this.failed.clear();
  }

  /** As an event (and in the log, for a failure, without the `sid`). */
  private tell(sid: string, state: 'waiting' | 'carried out' | 'failing'): void {
    if (state === 'failing') {
      console.warn(
        `[${this.app}] A kept front-channel sign-out fails otherwise than for want of an answer: tried again every second`,
      );
    }
    emit({ type: 'sign-out-pending', app: this.app, sid, state });
  }

  private run(sid: string): Promise<void> {
    const running =
      this.running.get(sid) ??
      this.carryOut(sid)
        .then(() => {
          this.failed.delete(sid);
          if (this.waiting.delete(sid)) this.tell(sid, 'carried out');
        })
        .finally(() => this.running.delete(sid));
    this.running.set(sid, running);
    return running;
  }

  private async retry(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    const tooOld = Date.now() - SESSION_MAX_AGE_MS;
    try {
      for (const [sid, since] of this.waiting) {
        if (since < tooOld) {
          this.waiting.delete(sid);
          this.failed.delete(sid);
          continue;
        }
        const failure = await this.run(sid).then(
          () => undefined,
          (error: unknown) => error,
        );
        // Still no answer: the others would get none either; try again later. Any other failure
        // is this sign-out's own, said once: the others go on, and it is tried again.
        if (failure instanceof ServiceUnavailableError) break;
        if (failure && !this.failed.has(sid)) {
          this.failed.add(sid);
          this.tell(sid, 'failing');
        }
      }
    } finally {
      this.retrying = false;
    }
    if (this.waiting.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
