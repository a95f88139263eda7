/**
 * The landing page's timeline: the samples' own timelines (in this process) and the identity
 * platform's (the emulator's `GET /events`, long-polled), merged in the order things happened.
 * It also remembers which identity platform sessions have ended (signed out, or revoked by an
 * administrator): tokens a sample still holds for one of those were left behind by a sign-out;
 * and when the emulator restarted (a new one, which knows none of the sessions and tokens before).
 * The emulator's events of its Graph-like API are the API's rows, not the identity platform's.
 */
import type { EmulatorEvent } from '../../emulator/index.ts';
import type { Timeline, TimelineEvent } from '../../shared/timeline/timeline.ts';

export interface LandingEvent {
  /** 1, 2, 3… on this page (the SSE event id). */
  id: number;
  at: number;
  /** A sample (`aspnetcore`, `aspnetcore-2`…), `identity platform` or `Graph-like API`. */
  source: string;
  /** `restarted`: this page found another emulator than before. */
  kind: TimelineEvent['kind'] | EmulatorEvent['kind'] | 'restarted';
  text: string;
  user?: string;
  sessions?: string[];
  outcome?: 'removed' | 'left-behind';
  token?: TimelineEvent['token'];
}

export interface EndedSession {
  at: number;
  how: 'signed out' | 'revoked';
}

export const IDENTITY_PLATFORM = 'identity platform';
/** The emulator's Graph-like API: its events come with the identity platform's (`GET /events`). */
export const GRAPH_API = 'Graph-like API';
const GRAPH_KINDS: ReadonlySet<string> = new Set(['api-call', 'cae-challenge', 'application']);
const GRAPH_PREFIX = `${GRAPH_API}: `;
/** Restarts of the emulator remembered. */
const RESTARTS_KEPT = 100;
/** Events kept, and ended sessions remembered; the oldest go first. */
const KEPT = 500;
const ENDED_KEPT = 10_000;
const POLL_WAIT_MS = 20_000;
const RETRY_MS = 2_000;

export class TimelineFeed {
  readonly ended = new Map<string, EndedSession>();
  /** When this page found the emulator restarted (epoch ms), oldest first. */
  private readonly restarts: number[] = [];
  private readonly events: LandingEvent[] = [];
  private readonly listeners = new Set<(event: LandingEvent) => void>();
  private readonly stops: Array<() => void> = [];
  private readonly abort = new AbortController();
  private id = 0;

  constructor(
    samples: ReadonlyArray<{ timeline?: Timeline | undefined }>,
    emulatorUrl: string | undefined,
  ) {
    for (const { timeline } of samples) {
      if (!timeline) continue;
      for (const event of timeline.all()) this.add(fromSample(event));
      this.stops.push(timeline.subscribe((event) => this.add(fromSample(event))));
    }
    if (emulatorUrl) void this.follow(emulatorUrl);
  }

  all(): readonly LandingEvent[] {
    return this.events;
  }

  subscribe(listener: (event: LandingEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop();
    this.abort.abort();
  }

  /** Whether the identity platform session `label` ended before `at`. */
  endedBefore(label: string | undefined, at: number): EndedSession | undefined {
    const ended = label ? this.ended.get(label) : undefined;
    return ended && ended.at <= at ? ended : undefined;
  }

  /** When the emulator last restarted after `at`, if it did (as far as this page saw). */
  restartedSince(at: number): number | undefined {
    return this.restarts.findLast((restart) => restart > at);
  }

  private add(event: Omit<LandingEvent, 'id'>): void {
    if (event.kind === 'signed-out' || event.kind === 'revoked') {
      const how = event.kind === 'revoked' ? 'revoked' : 'signed out';
      for (const label of event.sessions ?? []) this.ended.set(label, { at: event.at, how });
      for (const oldest of this.ended.keys()) {
        if (this.ended.size <= ENDED_KEPT) break;
        this.ended.delete(oldest);
      }
    }
    // An API call, or a token taken to call it with, with the tokens of a session that has ended:
    // what a sign-out left behind.
    const [session] = event.sessions ?? [];
    const usesTokens = event.kind === 'api-call' || event.kind === 'token-acquired';
    const afterSignOut = usesTokens && this.endedBefore(session, event.at);
    const added: LandingEvent = {
      ...event,
      id: ++this.id,
      ...(afterSignOut
        ? {
            outcome: 'left-behind',
            text: `${event.text}, after session ${session} ${afterSignOut.how === 'revoked' ? 'was revoked' : 'signed out'}`,
          }
        : {}),
    };
    // In the order things happened: the emulator's events arrive a moment late.
    let index = this.events.length;
    while (index > 0 && (this.events[index - 1]?.at ?? 0) > added.at) index -= 1;
    this.events.splice(index, 0, added);
    if (this.events.length > KEPT) this.events.shift();
    for (const listener of this.listeners) {
      try {
        listener(added);
      } catch {
        // A page's stream that broke: its listener goes when its connection closes.
      }
    }
  }

  /** Reads the emulator's events as they come, and again from the start if it restarted. */
  private async follow(emulatorUrl: string): Promise<void> {
    let log: string | undefined;
    let after = 0;
    while (!this.abort.signal.aborted) {
      try {
        const query = new URLSearchParams({ after: String(after), wait: String(POLL_WAIT_MS) });
        if (log) query.set('log', log);
        const askedAt = Date.now();
        const response = await fetch(`${emulatorUrl}/events?${query}`, {
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(POLL_WAIT_MS + 5_000)]),
        });
        if (!response.ok) throw new Error(`answered ${response.status}`);
        const page = (await response.json()) as { log: string; events: EmulatorEvent[] };
        // Another emulator than before (it restarted): its events start again at 1.
        if (page.log !== log) {
          after = 0;
          if (log !== undefined) this.restarted(page.events);
        }
        log = page.log;
        for (const event of page.events) {
          this.add(fromEmulator(event));
          after = Math.max(after, event.seq);
        }
        // Nothing, and no wait: never ask again at once (the emulator may be refusing to wait).
        if (page.events.length === 0 && Date.now() - askedAt < 1_000) await this.pause();
      } catch {
        if (this.abort.signal.aborted) return;
        await this.pause();
      }
    }
  }

  /** Tells the timeline that the emulator restarted, before the new one's first events. */
  private restarted(first: EmulatorEvent[]): void {
    const at = Math.min(Date.now(), ...first.map((event) => event.at));
    this.restarts.push(at);
    if (this.restarts.length > RESTARTS_KEPT) this.restarts.shift();
    this.add({
      at,
      source: IDENTITY_PLATFORM,
      kind: 'restarted',
      text: 'The identity platform restarted (another emulator than before): it knows none of the sessions, codes and refresh tokens it issued before, and its new signing key does not sign the tokens the apps cached; they are refused when used',
    });
  }

  private pause(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, RETRY_MS).unref());
  }
}

function fromSample({ seq: _seq, session, ...event }: TimelineEvent): Omit<LandingEvent, 'id'> {
  return { ...event, ...(session ? { sessions: [session] } : {}) };
}

/**
 * The identity platform's events carry no outcome: it cannot know what an app holds (an app it
 * does not tell may have removed its tokens itself, at a local sign-out).
 */
function fromEmulator({ seq: _seq, app: _app, ...event }: EmulatorEvent): Omit<LandingEvent, 'id'> {
  // The Graph-like API's own events (its calls, its claims challenges, its applications): its
  // name is their source, and no longer starts their text.
  if (GRAPH_KINDS.has(event.kind) || event.text.startsWith(GRAPH_PREFIX)) {
    const text = event.text.startsWith(GRAPH_PREFIX)
      ? event.text.slice(GRAPH_PREFIX.length)
      : event.text;
    return { ...event, text, source: GRAPH_API };
  }
  return { ...event, source: IDENTITY_PLATFORM };
}
