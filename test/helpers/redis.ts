import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { createClient } from 'redis';
import { RedisStore } from '../../shared/core/store/redis-store.ts';
import { freePorts } from './environment.ts';

/** Debian's Redis (`apt-get install redis-server`), or the one REDIS_SERVER_PATH names. */
export const REDIS_SERVER = process.env.REDIS_SERVER_PATH || 'redis-server';

/**
 * A real `redis-server` of the test's own, on a free port, keeping its data in a temporary folder
 * (an append-only file written at every command, unless `persistence` says otherwise), so that a
 * restart finds what was there, as a production Redis would.
 */
export interface TestRedis {
  url: string;
  port: number;
  /** Stops the server as an operator would (SIGTERM: it writes what it holds, then exits). */
  stop(): Promise<void>;
  /** Kills the server as a crash would (SIGKILL): it keeps only what it had written to disk. */
  crash(): Promise<void>;
  /** Writes a snapshot (`SAVE`): what a restart without an append-only file comes back to. */
  snapshot(): Promise<void>;
  /** Starts it again on the same port, with its data. */
  start(): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  resume(): void;
  /** Empties it (FLUSHDB). */
  flush(): Promise<void>;
  /** Stops it for good, its data folder removed. */
  close(): Promise<void>;
}

/**
 * Starts `redis-server`, or returns `undefined` when it is not installed: the test is then skipped
 * with a message naming the package, except under CI (`CI=true`), where `.ci/run` installs it and
 * a missing server is a failure. The server stops when the test ends (given a test's context), or
 * when the caller says (from a suite's hook, which has no `after` of its own).
 */
export async function startRedis(
  t: Pick<TestContext, 'skip'> & Partial<Pick<TestContext, 'after'>>,
  {
    persistence = 'aof-always',
    args = [],
  }: {
    /** More of `redis-server`'s options (e.g. `--rename-command CONFIG ""`, as managed services do). */
    args?: string[];
    /**
     * `aof-always`: an append-only file written at every command, what a sign-out needs (see
     * docs/redis.md); `aof-everysec`, Redis's default when the file is on; `snapshots`: no
     * append-only file, only the snapshots `snapshot()` takes.
     */
    persistence?: 'aof-always' | 'aof-everysec' | 'snapshots';
  } = {},
): Promise<TestRedis | undefined> {
  if (spawnSync(REDIS_SERVER, ['--version']).error) {
    const message = `redis-server is not installed: install Debian's package (apt-get install -y redis-server) or set REDIS_SERVER_PATH`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!! SKIPPED: ${message}\n`);
    t.skip(message);
    return undefined;
  }
  const port = (await freePorts(1))[0] as number;
  const dir = mkdtempSync(path.join(tmpdir(), 'redis-'));
  let server: ChildProcess | undefined;
  const redis: TestRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      server = await launchRedisServer(port, dir, [...persistenceArgs(persistence), ...args]);
    },
    async stop() {
      const running = server;
      server = undefined;
      if (!running || running.exitCode !== null) return;
      running.kill('SIGCONT');
      running.kill('SIGTERM');
      await once(running, 'exit');
    },
    async crash() {
      const running = server;
      server = undefined;
      if (!running || running.exitCode !== null) return;
      running.kill('SIGKILL');
      await once(running, 'exit');
    },
    async snapshot() {
      const client = createClient({ url: redis.url });
      await client.connect();
      await client.sendCommand(['SAVE']);
      await client.close();
    },
    pause: () => server?.kill('SIGSTOP'),
    resume: () => server?.kill('SIGCONT'),
    async flush() {
      const client = createClient({ url: redis.url });
      await client.connect();
      await client.flushDb();
      await client.close();
    },
    async close() {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  t.after?.(() => redis.close());
  return redis;
}

/** Every server started here, killed when the test process exits however it ends (a timeout…). */
const servers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const server of servers) server.kill('SIGKILL');
});

function persistenceArgs(persistence: 'aof-always' | 'aof-everysec' | 'snapshots'): string[] {
  if (persistence === 'snapshots') return ['--appendonly', 'no'];
  const fsync = persistence === 'aof-always' ? 'always' : 'everysec';
  return ['--appendonly', 'yes', '--appendfsync', fsync];
}

/**
 * A `RedisStore` on a `redis-server` of the test's own (see {@link startRedis}), both closed when
 * the test ends; `undefined` when the test is skipped.
 */
export async function startRedisStore(t: TestContext): Promise<RedisStore | undefined> {
  const redis = await startRedis({ skip: (message) => t.skip(message) });
  if (!redis) return undefined;
  const store = await RedisStore.connect(redis.url, {
    timeoutMs: 2000,
    variable: 'REDIS_URL',
    log() {},
  });
  t.after(async () => {
    await store.close();
    await redis.close();
  });
  return store;
}

/**
 * `redis-server` on `port` (127.0.0.1), its data in `dir`, no automatic snapshot, `options` added;
 * ready when it answers PING; killed when this process exits.
 */
export async function launchRedisServer(
  port: number,
  dir: string,
  options: string[],
): Promise<ChildProcess> {
  const server = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      // No automatic snapshot: only those a test takes.
      '--save',
      '',
      '--loglevel',
      'warning',
      ...options,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  servers.add(server);
  server.once('exit', () => servers.delete(server));
  let output = '';
  server.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  server.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  // Ready when it accepts a connection.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
    if (await answers(port)) return server;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  server.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}: ${output}`);
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.end('PING\r\n');
      socket.once('data', (data) => resolve(String(data).startsWith('+PONG')));
    });
    socket.once('error', () => resolve(false));
  });
}
