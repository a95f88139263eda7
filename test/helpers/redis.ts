import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { TestContext } from 'node:test';
import { freePorts } from './environment.ts';

/** Debian's Redis (`apt-get install redis-server`), or the one REDIS_SERVER_PATH names. */
export const REDIS_SERVER = process.env.REDIS_SERVER_PATH || 'redis-server';

/** A real `redis-server` of the test's own, on a free port, with nothing saved to disk. */
export interface TestRedis {
  url: string;
  port: number;
  /** Stops the server (its data goes with it, as nothing is saved). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
}

/**
 * Starts `redis-server`, or returns `undefined` when it is not installed: the test is then skipped
 * with a message naming the package, except under CI (`CI=true`), where `.ci/run` installs it and
 * a missing server is a failure. The server stops when the test ends (given a test's context), or
 * when the caller says (from a suite's hook, which has no `after` of its own).
 */
export async function startRedis(
  t: Pick<TestContext, 'skip'> & Partial<Pick<TestContext, 'after'>>,
): Promise<TestRedis | undefined> {
  if (spawnSync(REDIS_SERVER, ['--version']).error) {
    const message = `redis-server is not installed: install Debian's package (apt-get install -y redis-server) or set REDIS_SERVER_PATH`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!! SKIPPED: ${message}\n`);
    t.skip(message);
    return undefined;
  }
  const port = (await freePorts(1))[0] as number;
  let server: ChildProcess | undefined;
  const redis: TestRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      server = await launch(port);
    },
    async stop() {
      const running = server;
      server = undefined;
      if (!running || running.exitCode !== null) return;
      running.kill('SIGKILL');
      await once(running, 'exit');
    },
  };
  await redis.start();
  t.after?.(() => redis.stop());
  return redis;
}

async function launch(port: number): Promise<ChildProcess> {
  const server = spawn(
    REDIS_SERVER,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--loglevel',
      'warning',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
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
