import { setTimeout as sleep } from 'node:timers/promises';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../emulator/index.ts';
import type { EmulatorSettings } from '../config/settings.ts';
import { StartupError } from '../core/errors.ts';

export interface Logger {
  info(message: string): void;
  /** Something a person must notice: printed to stderr, framed. */
  warn(message: string): void;
}

/** How often a sample checks that the emulator it uses (run by another process) still answers. */
const WATCH_INTERVAL_MS = 2_000;
/** How long to wait, by default, for an emulator that another process is starting on the same port. */
const WAIT_FOR_OTHER_MS = 20_000;

/**
 * This process's link to the identity platform emulator, for samples that may run in several
 * terminals at once. Whoever comes first starts the emulator; the others find it and use it, so
 * that every sample shares one SSO session and one front-channel sign-out:
 *
 * - an emulator answers at the configured URL: use it;
 * - nothing answers: start one here; if another process won the race to the port, wait for it;
 * - something else answers there: stop, and say so.
 *
 * A process that uses another's emulator keeps watching it. When it stops answering (the terminal
 * that ran it was closed), the link says so loudly and goes through the same steps again: one of
 * the remaining processes starts a new emulator, the others find it.
 */
export class EmulatorLink {
  #running: RunningEmulator | undefined;
  #watch: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(
    private readonly settings: EmulatorSettings,
    private readonly options: EmulatorOptions,
    private readonly log: Logger,
    private readonly waitForOtherMs = WAIT_FOR_OTHER_MS,
  ) {}

  /** Finds or starts the emulator; with `watch`, keeps finding or starting it when it goes away. */
  static async connect(
    settings: EmulatorSettings,
    options: EmulatorOptions,
    log: Logger,
    { watch, waitForOtherMs }: { watch: boolean; waitForOtherMs?: number },
  ): Promise<EmulatorLink> {
    const link = new EmulatorLink(settings, options, log, waitForOtherMs);
    await link.findOrStart();
    if (watch) link.startWatching();
    return link;
  }

  /** Starts an emulator in this process, whatever else runs: `npm run emulator`, and the tests. */
  static async start(
    settings: EmulatorSettings,
    options: EmulatorOptions,
    log: Logger,
  ): Promise<EmulatorLink> {
    const link = new EmulatorLink(settings, options, log);
    try {
      link.#running = await startEmulator(options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      const answering = (await link.probe()) === 'emulator';
      throw new StartupError(
        `Port ${settings.port} (EMULATOR_PORT) or ${settings.graphPort} (GRAPH_PORT) is already in use` +
          (answering
            ? `: an identity platform emulator already answers at ${settings.identityUrl}`
            : '') +
          '. Stop it, or choose other ports.',
      );
    }
    log.info(
      `Identity platform emulator: ${link.#running.identityUrl} (tenant ${link.#running.tenantId}); Graph-like API: ${link.#running.graphUrl}`,
    );
    return link;
  }

  /** The emulator this process runs, if it runs one; `undefined` while it uses another's. */
  get running(): RunningEmulator | undefined {
    return this.#running;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#watch);
    await this.#running?.close();
    this.#running = undefined;
  }

  private get discoveryUrl(): string {
    return `${this.settings.identityUrl}/${this.settings.tenantId}/v2.0/.well-known/openid-configuration`;
  }

  private async findOrStart(): Promise<void> {
    const found = await this.probe();
    if (found === 'emulator') {
      this.log.info(`Using the identity platform emulator at ${this.settings.identityUrl}`);
      return;
    }
    if (found !== 'nothing') {
      throw new StartupError(
        `Something other than the emulator (or an emulator for another tenant) answers at ${this.settings.identityUrl}: ` +
          `${this.discoveryUrl} gave ${found}. Stop it, or set EMULATOR_PORT / EMULATOR_TENANT_ID.`,
      );
    }
    try {
      this.#running = await startEmulator(this.options);
      this.log.info(
        `Started the identity platform emulator at ${this.#running.identityUrl} (Graph-like API at ${this.#running.graphUrl}); it stops with this process`,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      // Another process is starting one on the same ports right now: wait for it to answer.
      await this.waitForOther();
    }
  }

  private async waitForOther(): Promise<void> {
    this.log.info(
      `Port ${this.settings.port} is taken: waiting for the emulator another process is starting at ${this.settings.identityUrl}…`,
    );
    const deadline = Date.now() + this.waitForOtherMs;
    while (Date.now() < deadline && !this.#closed) {
      if ((await this.probe()) === 'emulator') {
        this.log.info(
          `Using the identity platform emulator at ${this.settings.identityUrl}, started by another process`,
        );
        return;
      }
      await sleep(250);
    }
    if (this.#closed) return;
    throw new StartupError(
      `Port ${this.settings.port} (EMULATOR_PORT) or ${this.settings.graphPort} (GRAPH_PORT) is in use, ` +
        `and no emulator answers at ${this.settings.identityUrl}. Stop what uses them, or choose other ports.`,
    );
  }

  /** `emulator`, `nothing` (no answer at all), or what answered instead (a status). */
  private async probe(): Promise<'emulator' | 'nothing' | string> {
    try {
      const response = await fetch(this.discoveryUrl, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      return response.ok ? 'emulator' : `HTTP ${response.status}`;
    } catch {
      return 'nothing';
    }
  }

  private startWatching(): void {
    let checking = false;
    let missed = 0;
    this.#watch = setInterval(async () => {
      if (checking || this.#running || this.#closed) return;
      checking = true;
      try {
        // Two probes missed in a row, not one: a busy machine can be slow to answer once.
        missed = (await this.probe()) === 'emulator' ? 0 : missed + 1;
        if (missed < 2) return;
        missed = 0;
        this.log.warn(
          `The identity platform emulator at ${this.settings.identityUrl} stopped answering: ` +
            'the process that ran it has exited. Finding or starting another one. ' +
            'Its SSO sessions and signing key are new: users sign in again.',
        );
        await this.findOrStart();
        if (this.#closed) await this.close();
      } catch (error) {
        this.log.warn(`No identity platform emulator: ${(error as Error).message}`);
      } finally {
        checking = false;
      }
    }, WATCH_INTERVAL_MS).unref();
  }
}
