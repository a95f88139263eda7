/**
 * Free ports for a test's servers, and for no other test's. The test files run several at a time,
 * each in a process of its own, and a port found free here is bound later, by a sample, an
 * emulator, a redis-server or a command started with it: in between, no other test process may be
 * handed the same port. So each port handed out is claimed first: a file named after it, created
 * exclusively in a folder of the temporary directory (one per user), holding this process's id. A
 * port claimed by a live process is passed over (by this process too: a port is handed out once);
 * the claim of a process that died is taken over. This process's claims go when it exits.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const claims = path.join(tmpdir(), `msal-koa-test-ports-${process.getuid?.() ?? 'user'}`);
const mine = new Set<string>();
process.once('exit', () => {
  for (const file of mine) rmSync(file, { force: true });
});

/** Whether `port` is now this process's, for good: claimed here and by no live process before. */
function claim(port: number): boolean {
  mkdirSync(claims, { recursive: true });
  const file = path.join(claims, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      mine.add(file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (mine.has(file) || alive(file)) return false;
    // Its process died: the claim is stale. (Of two processes taking it over, one creates it.)
    rmSync(file, { force: true });
  }
  return false;
}

/** Whether the process a claim names runs (a claim being written, still empty, counts as one). */
function alive(file: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
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
