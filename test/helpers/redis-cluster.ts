/**
 * Real Redis topologies with replicas, for the full tier: a Redis Cluster of three primaries and
 * three replicas ({@link startRedisCluster}), and one primary with one replica outside a cluster
 * ({@link startPrimaryWithReplica}). Every server is a child of the test process, on ports claimed
 * through test/helpers/ports.ts, its data in a temporary folder of its own (a primary's in an
 * append-only file written at every command; a replica's in memory: `REPLICA_DISK`), killed when
 * the process exits however it ends.
 */
import { type ChildProcess, execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { freePorts } from './ports.ts';
import { launchRedisServer, REDIS_SERVER } from './redis.ts';

/** Debian's `redis-cli` (package redis-tools, installed with redis-server), or REDIS_CLI_PATH. */
export const REDIS_CLI = process.env.REDIS_CLI_PATH || 'redis-cli';

export interface ClusterNode {
  id: string;
  port: number;
  role: 'master' | 'slave';
  /** The primary's id, for a replica. */
  primaryId?: string;
  /** Whether the cluster marks it failed (`fail` or `fail?`), or it is disconnected. */
  failed: boolean;
  /** The slot ranges it serves, a primary. */
  slots: Array<[number, number]>;
}

export interface TestRedisCluster {
  /** One `redis://127.0.0.1:<port>` per node, primaries and replicas: the seeds of a client. */
  urls: string[];
  /** How long the start took: servers up, `--cluster create`, all `ok` and every replica linked. */
  startMs: number;
  /** The nodes as a live node's `CLUSTER NODES` says. */
  nodes(): Promise<ClusterNode[]>;
  /** `CLUSTER KEYSLOT`. */
  slotOf(key: string): Promise<number>;
  /** The primary serving a key's slot now. */
  primaryOf(key: string): Promise<ClusterNode>;
  /** SIGKILLs the primary serving a key's slot (a crash: it keeps what its AOF has). */
  killPrimaryOf(key: string): Promise<{ killed: ClusterNode; at: number }>;
  /** Waits until a live primary other than `killed` serves `killed`'s slots; the time it took since `since`. */
  waitForFailover(killed: ClusterNode, since: number): Promise<number>;
  /**
   * Moves a key's slot (with its keys) to another primary by hand — `CLUSTER SETSLOT IMPORTING/
   * MIGRATING`, `MIGRATE` batch by batch, `CLUSTER SETSLOT NODE` on every primary — pausing
   * `pauseMs` between the steps so that traffic meets the migration. The time it took.
   */
  reshardSlotOf(key: string, options?: { to?: ClusterNode; pauseMs?: number }): Promise<number>;
  /**
   * Starts a killed node again, from what its folder holds (its append-only file, if it had one)
   * and `nodes.conf`: it rejoins the cluster, and resyncs from its primary if it is a replica.
   */
  restart(port: number): Promise<void>;
  /** Freezes / resumes a node (SIGSTOP / SIGCONT). */
  pause(port: number): void;
  resume(port: number): void;
  /** `redis-cli -p <port> <args…>`: its output, trimmed. */
  cli(port: number, ...args: string[]): Promise<string>;
  close(): Promise<void>;
}

export interface TestPrimaryWithReplica {
  primaryUrl: string;
  replicaUrl: string;
  primaryPort: number;
  replicaPort: number;
  /** SIGKILLs the primary. */
  killPrimary(): Promise<void>;
  /** SIGKILLs the primary and starts it again, on its port, from its append-only file. */
  restartPrimary(): Promise<void>;
  /** `REPLICAOF NO ONE` on the replica: it becomes a primary, with what it had received. */
  promoteReplica(): Promise<void>;
  pauseReplica(): void;
  resumeReplica(): void;
  cli(port: number, ...args: string[]): Promise<string>;
  close(): Promise<void>;
}

/** Whether redis-server and redis-cli are here; if not, skips loudly (fails under CI=true). */
function available(t: Pick<TestContext, 'skip'>): boolean {
  for (const [program, variable] of [
    [REDIS_SERVER, 'REDIS_SERVER_PATH'],
    [REDIS_CLI, 'REDIS_CLI_PATH'],
  ] as const) {
    if (spawnSync(program, ['--version']).error) {
      const message = `${program} is not installed: install Debian's package (apt-get install -y redis-server) or set ${variable}`;
      if (process.env.CI === 'true') throw new Error(message);
      console.warn(`\n!! SKIPPED: ${message}\n`);
      t.skip(message);
      return false;
    }
  }
  return true;
}

function cli(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      REDIS_CLI,
      ['-h', '127.0.0.1', '-p', String(port), ...args],
      { timeout: 10_000 },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`redis-cli ${args.join(' ')}: ${stderr || error.message}`))
          : resolve(stdout.trim()),
    );
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (every 20 ms, its errors retried) until it gives a value; fails after `ms`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(20);
  }
  throw new Error(`Timed out waiting for ${what}${last ? ` (${(last as Error).message})` : ''}`);
}

/** A node: `redis-server` as test/helpers/redis.ts starts one, every write on disk (a replica: `REPLICA_DISK`). */
function launch(port: number, dir: string, options: string[]): Promise<ChildProcess> {
  return launchRedisServer(port, dir, [
    '--appendonly',
    'yes',
    '--appendfsync',
    'always',
    '--repl-diskless-sync-delay',
    '0',
    ...options,
  ]);
}

/**
 * A replica keeps no append-only file: what a test checks is that it holds what its primary did,
 * never its own disk. With one (`always`, and even `everysec`), its acknowledgement was now and
 * then held past the store's 500 ms `WAIT` on this machine's shared disk: a sign-in answered 503
 * (1 run in 5 to 12 of test/replica-scale-out.test.ts; none in 12 without).
 */
const REPLICA_DISK = ['--appendonly', 'no'];

async function stopAll(processes: Iterable<ChildProcess | undefined>): Promise<void> {
  await Promise.all(
    [...processes].map(async (server) => {
      if (!server || server.exitCode !== null || server.signalCode !== null) return;
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGCONT');
      server.kill('SIGKILL');
      await exited;
    }),
  );
}

function parseNodes(text: string): ClusterNode[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, address, flags, primaryId, , , , link, ...slots] = line.split(' ');
      const port = Number((address as string).split('@')[0]?.split(':')[1]);
      const flagList = (flags as string).split(',');
      return {
        id: id as string,
        port,
        role: flagList.includes('master') ? 'master' : 'slave',
        ...(primaryId && primaryId !== '-' ? { primaryId } : {}),
        failed:
          flagList.some((flag) => flag === 'fail' || flag === 'fail?') || link !== 'connected',
        slots: slots
          .filter((slot) => !slot.startsWith('['))
          .map((slot) => {
            const [from, to] = slot.split('-').map(Number);
            return [from as number, (to ?? from) as number];
          }),
      } satisfies ClusterNode;
    });
}

/**
 * Starts 3 primaries and 3 replicas (`--cluster-node-timeout 1000`, `--cluster-require-full-coverage
 * no`), `redis-cli --cluster create … --cluster-replicas 1`, and waits for `cluster_state:ok` on
 * every node and every replica's link up. `undefined` when redis-server or redis-cli is missing
 * (the test is skipped, or fails under CI). Stopped when the test ends.
 */
export async function startRedisCluster(
  t: Pick<TestContext, 'skip'> & Partial<Pick<TestContext, 'after'>>,
): Promise<TestRedisCluster | undefined> {
  if (!available(t)) return undefined;
  const started = Date.now();
  const ports = await freePorts(12);
  const clientPorts = ports.slice(0, 6);
  const busPorts = ports.slice(6);
  const dirs = clientPorts.map(() => mkdtempSync(path.join(tmpdir(), 'redis-cluster-')));
  const processes = new Map<number, ChildProcess>();
  const close = async () => {
    await stopAll(processes.values());
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  t.after?.(close);
  const launchNode = async (index: number) => {
    const dir = dirs[index] as string;
    processes.set(
      clientPorts[index] as number,
      await launch(clientPorts[index] as number, dir, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        path.join(dir, 'nodes.conf'),
        '--cluster-node-timeout',
        '1000',
        '--cluster-port',
        String(busPorts[index]),
        '--cluster-require-full-coverage',
        'no',
      ]),
    );
  };
  try {
    await Promise.all(clientPorts.map((_, index) => launchNode(index)));
    await cli(
      clientPorts[0] as number,
      '--cluster',
      'create',
      ...clientPorts.map((port) => `127.0.0.1:${port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    );
    await until('cluster_state:ok on every node, every replica linked', async () => {
      for (const port of clientPorts) {
        if (!(await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok')) return undefined;
      }
      const nodes = parseNodes(await cli(clientPorts[0] as number, 'CLUSTER', 'NODES'));
      const replicas = nodes.filter((node) => node.role === 'slave');
      if (replicas.length !== 3) return undefined;
      for (const replica of replicas) {
        if (!(await cli(replica.port, 'INFO', 'replication')).includes('master_link_status:up'))
          return undefined;
      }
      // And each primary lists its replica `online` (what the store reads to decide on WAIT).
      for (const primary of nodes.filter((node) => node.role === 'master')) {
        if (!/state=online/.test(await cli(primary.port, 'INFO', 'replication'))) return undefined;
      }
      // Replicas keep no append-only file (REPLICA_DISK).
      for (const replica of replicas) await cli(replica.port, 'CONFIG', 'SET', 'appendonly', 'no');
      return true;
    });
  } catch (error) {
    await close();
    throw error;
  }
  const startMs = Date.now() - started;

  /** Nodes frozen by `pause`: not asked (a frozen node would hold a question for 10 s). */
  const paused = new Set<number>();
  const live = () =>
    clientPorts.filter((port) => {
      const server = processes.get(port);
      return server && server.exitCode === null && server.signalCode === null && !paused.has(port);
    });
  const nodes = async () => {
    for (const port of live()) {
      try {
        return parseNodes(await cli(port, 'CLUSTER', 'NODES'));
      } catch {
        // paused or gone: ask another
      }
    }
    throw new Error('no node of the cluster answers');
  };
  const slotOf = async (key: string) =>
    Number(await cli(live()[0] as number, 'CLUSTER', 'KEYSLOT', key));
  const primaryOf = async (key: string) => {
    const slot = await slotOf(key);
    const owner = (await nodes()).find(
      (node) =>
        node.role === 'master' &&
        !node.failed &&
        node.slots.some(([a, b]) => slot >= a && slot <= b),
    );
    if (!owner) throw new Error(`no primary serves slot ${slot}`);
    return owner;
  };

  return {
    urls: clientPorts.map((port) => `redis://127.0.0.1:${port}`),
    startMs,
    nodes,
    slotOf,
    primaryOf,
    async killPrimaryOf(key) {
      const killed = await primaryOf(key);
      const server = processes.get(killed.port);
      const at = Date.now();
      if (server) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGKILL');
        await exited;
      }
      return { killed, at };
    },
    async restart(port) {
      await launchNode(clientPorts.indexOf(port));
    },
    async waitForFailover(killed, since) {
      const [slot] = killed.slots[0] ?? [0];
      await until(
        `a replica of ${killed.port} promoted`,
        async () => {
          const owner = (await nodes()).find(
            (node) =>
              node.role === 'master' &&
              !node.failed &&
              node.id !== killed.id &&
              node.slots.some(([a, b]) => slot >= a && slot <= b),
          );
          return owner;
        },
        30_000,
      );
      return Date.now() - since;
    },
    async reshardSlotOf(key, { to, pauseMs = 200 } = {}) {
      const started = Date.now();
      const slot = String(await slotOf(key));
      const from = await primaryOf(key);
      const all = await nodes();
      const target =
        to ?? all.find((node) => node.role === 'master' && !node.failed && node.id !== from.id);
      if (!target) throw new Error('no other primary to move the slot to');
      await cli(target.port, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', from.id);
      await cli(from.port, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', target.id);
      await sleep(pauseMs);
      for (;;) {
        const keys = (await cli(from.port, 'CLUSTER', 'GETKEYSINSLOT', slot, '100'))
          .split('\n')
          .filter(Boolean);
        if (keys.length === 0) break;
        await cli(
          from.port,
          'MIGRATE',
          '127.0.0.1',
          String(target.port),
          '',
          '0',
          '5000',
          'KEYS',
          ...keys,
        );
      }
      await sleep(pauseMs);
      for (const node of all.filter((each) => each.role === 'master' && !each.failed)) {
        await cli(node.port, 'CLUSTER', 'SETSLOT', slot, 'NODE', target.id);
      }
      return Date.now() - started;
    },
    pause: (port) => {
      paused.add(port);
      processes.get(port)?.kill('SIGSTOP');
    },
    resume: (port) => {
      processes.get(port)?.kill('SIGCONT');
      paused.delete(port);
    },
    cli,
    close,
  };
}

/**
 * One primary and one replica of it (`--replicaof`), no cluster; waits for the replica's link.
 * `undefined` when redis-server or redis-cli is missing (skipped, or a failure under CI).
 */
export async function startPrimaryWithReplica(
  t: Pick<TestContext, 'skip'> & Partial<Pick<TestContext, 'after'>>,
): Promise<TestPrimaryWithReplica | undefined> {
  if (!available(t)) return undefined;
  const [primaryPort, replicaPort] = (await freePorts(2)) as [number, number];
  const dirs = [0, 1].map(() => mkdtempSync(path.join(tmpdir(), 'redis-replica-')));
  let primary: ChildProcess | undefined;
  let replica: ChildProcess | undefined;
  const close = async () => {
    await stopAll([primary, replica]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  t.after?.(close);
  try {
    primary = await launch(primaryPort, dirs[0] as string, []);
    replica = await launch(replicaPort, dirs[1] as string, [
      '--replicaof',
      '127.0.0.1',
      String(primaryPort),
      ...REPLICA_DISK,
    ]);
    // Linked, and listed `online` by the primary (what the store reads to decide on WAIT).
    await until('the replica linked', async () =>
      (await cli(replicaPort, 'INFO', 'replication')).includes('master_link_status:up') &&
      /state=online/.test(await cli(primaryPort, 'INFO', 'replication'))
        ? true
        : undefined,
    );
  } catch (error) {
    await close();
    throw error;
  }
  return {
    primaryUrl: `redis://127.0.0.1:${primaryPort}`,
    replicaUrl: `redis://127.0.0.1:${replicaPort}`,
    primaryPort,
    replicaPort,
    async killPrimary() {
      await stopAll([primary]);
    },
    async restartPrimary() {
      await stopAll([primary]);
      primary = await launch(primaryPort, dirs[0] as string, []);
    },
    async promoteReplica() {
      await cli(replicaPort, 'REPLICAOF', 'NO', 'ONE');
    },
    pauseReplica: () => replica?.kill('SIGSTOP'),
    resumeReplica: () => replica?.kill('SIGCONT'),
    cli,
    close,
  };
}
