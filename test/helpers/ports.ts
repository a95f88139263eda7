/**
 * Free ports for a test's servers, and for no other test's. The test files run several at a time,
 * each in a process of its own, and a port found free here is bound later, by a sample, an
 * emulator, a redis-server or a command started with it: in between, no other test process may be
 * handed the same port. So each port handed out is claimed first: a file named after it, created
 * exclusively in a folder of the temporary directory (one per user), holding this process's id. A
 * port claimed by a live process is passed over (by this process too: a port is handed out once).
 * The claim of a process that died is passed over too, never taken over: two processes taking over
 * one claim at once could both end up holding it. This process's claims go when it exits (Ctrl-C
 * too); a claim left by a crash goes a day later, when no test can still be using it.
 */
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const claims = path.join(tmpdir(), `msal-koa-test-ports-${process.getuid?.() ?? 'user'}`);
const mine = new Set<string>();
const release = () => {
  for (const file of mine) rmSync(file, { force: true });
};
process.once('exit', release);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    release();
    process.kill(process.pid, signal); // as if this handler had not been there
  });
}
const DAY_MS = 24 * 60 * 60 * 1000;
try {
  for (const name of readdirSync(claims)) {
    const file = path.join(claims, name);
    if (Date.now() - statSync(file).mtimeMs > DAY_MS) rmSync(file, { force: true });
  }
} catch {
  // no claims yet, or one gone meanwhile
}

/** Whether `port` is now this process's, for good: claimed here and by no live process before. */
function claim(port: number): boolean {
  mkdirSync(claims, { recursive: true });
  const file = path.join(claims, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    mine.add(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false; // claimed: by a live process, or by one that died (see above)
  }
}

/**
 * Where the ports come from: below the range the system hands out for `listen(0)` and for the
 * local end of outgoing connections (32768-60999 on Linux, 49152-65535 on macOS and Windows), so
 * that no process's ephemeral port, in this suite or anywhere on the machine, takes one between
 * its claim and its use. Above the ports a person's own servers usually have (3000, 8080…).
 */
const LOWEST = 10_000;
const HIGHEST = 32_767;
/**
 * Ports the Fetch standard blocks ("bad ports"): Node's `fetch` refuses them (`bad port`), so a
 * test that fetched a server there would fail. 10080 is the only one in the range above.
 */
const FETCH_BLOCKED = new Set([10_080]);

/** Whether each port can be listened on now (they are closed again at once). */
async function canListen(ports: number[]): Promise<boolean> {
  const servers = await Promise.all(
    ports.map(
      (port) =>
        new Promise<Server | undefined>((resolve) => {
          const server = createServer();
          server.once('error', () => resolve(undefined));
          server.listen(port, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  await Promise.all(
    servers.map((server) => server && new Promise((resolve) => server.close(resolve))),
  );
  return servers.every(Boolean);
}

/** `count` consecutive ports, free and claimed for this process. */
export async function freeConsecutivePorts(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 1_000; attempt++) {
    const base = LOWEST + Math.floor(Math.random() * (HIGHEST - LOWEST + 2 - count));
    const ports = Array.from({ length: count }, (_, index) => base + index);
    if (ports.some((port) => FETCH_BLOCKED.has(port))) continue;
    if ((await canListen(ports)) && ports.every(claim)) return ports;
  }
  throw new Error(`No ${count} consecutive free ports found between ${LOWEST} and ${HIGHEST}`);
}

/** `count` free ports, each claimed for this process. */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) ports.push(...(await freeConsecutivePorts(1)));
  return ports;
}
