/**
 * How a sample finds the emulator when several start at once (shared/run/emulator-link.ts), made
 * deterministic: another "process" holds the emulator's port and answers only later, or never.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { test } from 'node:test';
import { samples } from '../samples/index.ts';
import { loadSettings } from '../shared/config/settings.ts';
import { StartupError } from '../shared/core/errors.ts';
import { emulatorOptions } from '../shared/run/emulator-apps.ts';
import { EmulatorLink } from '../shared/run/emulator-link.ts';
import { freePorts } from './helpers/environment.ts';

/** Emulator settings on free ports, and a logger that keeps what it was told. */
async function setup() {
  const [port, graphPort] = (await freePorts(2)) as [number, number];
  const settings = loadSettings(
    [samples.aspnetcore.registration],
    { EMULATOR_PORT: String(port), GRAPH_PORT: String(graphPort) },
    { run: [] },
  );
  const emulator = settings.emulator!;
  const lines: string[] = [];
  const log = {
    info: (line: string) => lines.push(line),
    warn: (line: string) => lines.push(line),
  };
  return { emulator, options: emulatorOptions(emulator), lines, log, port };
}

/**
 * A stand-in for another process that is starting the emulator on `port`: it holds the port, drops
 * every connection (so nothing answers), then, after `answersAfterMs`, answers discovery.
 */
async function holder(port: number, answersAfterMs: number): Promise<Server> {
  const startedAt = Date.now();
  const server = createServer((request, response) => {
    if (Date.now() - startedAt < answersAfterMs) return request.socket.destroy();
    response.setHeader('content-type', 'application/json');
    response.end('{"issuer":"http://localhost"}');
  });
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

test('a port taken by another process that is starting the emulator: wait for it, and use it', async () => {
  const { emulator, options, lines, log, port } = await setup();
  const other = await holder(port, 600);
  try {
    const link = await EmulatorLink.connect(emulator, options, log, { watch: false });
    assert.equal(link.running, undefined, 'it started none of its own');
    assert.deepEqual(lines, [
      `Port ${port} is taken: waiting for the emulator another process is starting at http://127.0.0.1:${port}…`,
      `Using the identity platform emulator at http://127.0.0.1:${port}, started by another process`,
    ]);
    await link.close();
  } finally {
    other.closeAllConnections();
    other.close();
  }
});

test('a port taken by something that never answers: a clear error naming the variables', async () => {
  const { emulator, options, log, port } = await setup();
  const other = await holder(port, Number.POSITIVE_INFINITY);
  try {
    await assert.rejects(
      EmulatorLink.connect(emulator, options, log, { watch: false, waitForOtherMs: 1_000 }),
      (error: Error) =>
        error instanceof StartupError &&
        error.message.startsWith(`Port ${port} (EMULATOR_PORT) or `) &&
        error.message.includes(`no emulator answers at http://127.0.0.1:${port}`),
    );
  } finally {
    other.closeAllConnections();
    other.close();
  }
});
