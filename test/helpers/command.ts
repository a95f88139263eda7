import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { devNull } from 'node:os';

/**
 * A command of the docs (README, docs/running.md) run as a person runs it in a terminal
 * (`npm start`, `npm run sample:aspnetcore`…), in its own process group, so that "Ctrl-C" reaches every process it
 * started. Its environment is only what the test gives it (plus PATH and HOME), and it reads no
 * `.env` file: nothing of the machine running the tests changes what it does.
 */
export class Command {
  #output = '';
  readonly #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Once its output is all read: after it exited, its pipes closed (see `#drained`). */
  readonly #closed: Promise<unknown>;
  readonly #process: ChildProcess;

  readonly #ownGroup: boolean;

  /**
   * `ownGroup: false`: in the caller's process group instead, so that whatever ends the caller's
   * group (a test killing a benchmark) ends it too; signals then go to its process alone.
   */
  constructor(
    readonly line: string,
    env: Record<string, string>,
    { ownGroup = true }: { ownGroup?: boolean } = {},
  ) {
    this.#ownGroup = ownGroup;
    const [command = '', ...args] = line.split(' ');
    this.#process = spawn(command, args, {
      // ENV_FILE: not the developer's `.env` either.
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ENV_FILE: devNull,
        ...env,
      },
      detached: ownGroup,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.#process.stdout, this.#process.stderr]) {
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        this.#output += chunk;
      });
    }
    this.#exited = once(this.#process, 'exit').then(([code, signal]) => ({ code, signal }));
    this.#closed = once(this.#process, 'close');
  }

  /**
   * Its exit, once what it printed last is read too: a process that has exited may have written
   * to its pipes what this process has not read yet (a busy machine). Ten seconds at most: a
   * process it started in another group could hold its pipes open.
   */
  async #drained(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const exited = await this.#exited;
    await Promise.race([
      this.#closed,
      new Promise((resolve) => setTimeout(resolve, 10_000).unref()),
    ]);
    return exited;
  }

  /** Everything it printed so far, stdout and stderr interleaved. */
  get output(): string {
    return this.#output;
  }

  /** Waits until its output matches `pattern` (or it exits, or the time runs out). */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.#exited.then(() => {
      exited = true;
    });
    while (!pattern.test(this.#output)) {
      if (exited || Date.now() > deadline) {
        throw new Error(
          `"${this.line}" ${exited ? 'exited' : 'timed out'} before printing ${pattern}:\n${this.#output}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Its exit code, once it has exited by itself. */
  async exitCode(timeoutMs = 30_000): Promise<number | null> {
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`"${this.line}" still runs`)), timeoutMs).unref(),
    );
    return (await Promise.race([this.#drained(), timeout])).code;
  }

  /**
   * Ctrl-C: SIGINT to the whole process group, as a terminal sends it. Resolves once every process
   * of the group has exited: `true` if the command closed what it started and said "Stopped."
   * (npm and tsx themselves report the signal, whatever the command did: their exit code says
   * nothing).
   */
  async interrupt(timeoutMs = 15_000): Promise<boolean> {
    this.signal('SIGINT');
    const deadline = Date.now() + timeoutMs;
    while (this.groupAlive()) {
      if (Date.now() > deadline) throw new Error(`"${this.line}" did not stop:\n${this.#output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await this.#drained();
    return /^Stopped\.$/m.test(this.#output);
  }

  /** Kills what is left of it (after a test failed half-way). */
  kill(): void {
    this.signal('SIGKILL');
  }

  private groupAlive(): boolean {
    try {
      if (this.#process.pid) process.kill(this.#target(this.#process.pid), 0);
      return true;
    } catch {
      return false;
    }
  }

  /** Its process group, or its process alone. */
  #target(pid: number): number {
    return this.#ownGroup ? -pid : pid;
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      if (this.#process.pid) process.kill(this.#target(this.#process.pid), signal);
    } catch {
      // Already gone.
    }
  }
}
