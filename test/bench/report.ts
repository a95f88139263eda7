/** docs/performance.md, from one run of the benchmark: the figures, and the targets they meet. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { REMOVAL_MARKER_SECONDS } from '../../shared/core/store/key-value-store.ts';
import type { HttpOptions, HttpRow } from './http.ts';
import { type Measured, summarize } from './measure.ts';
import type { Percentiles, PropagationOptions, PropagationReport } from './propagation.ts';
import type { ResidueOptions, ResidueReport } from './residue.ts';
import {
  COLD,
  DCP_MEMORY,
  DCP_REDIS,
  FLOOR,
  OURS_MEMORY,
  OURS_REDIS,
  SHARED,
  type SilentOptions,
  type SilentReport,
} from './silent.ts';

export interface Machine {
  cpus: string;
  memory: string;
  node: string;
  msal: string;
  commit: string;
  date: string;
}

export async function machine(): Promise<Machine> {
  const cores = cpus();
  const msal = JSON.parse(
    readFileSync(
      new URL('../../node_modules/@azure/msal-node/package.json', import.meta.url),
      'utf8',
    ),
  ) as { version: string };
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    });
    if (dirty.trim()) commit += ' (with uncommitted changes)';
  } catch {
    // Not a git checkout: the commit stays unknown.
  }
  return {
    cpus: `${cores.length} × ${cores[0]?.model.trim() ?? 'unknown CPU'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    msal: msal.version,
    commit,
    date: new Date().toISOString().slice(0, 10),
  };
}

export interface BenchResults {
  quick: boolean;
  about: Machine;
  options: {
    silent: SilentOptions;
    http: HttpOptions;
    residue: ResidueOptions;
    propagation: PropagationOptions;
  };
  silent: SilentReport;
  http: HttpRow[];
  residue: ResidueReport;
  propagation: PropagationReport;
  minutes: number;
}

const micro = (value: number) => (value < 100 ? value.toFixed(1) : Math.round(value).toString());
const withRange = (m: Measured, format: (value: number) => string) =>
  `${format(m.median)} (${format(m.min)}–${format(m.max)})`;
const times = (value: number) => `${value.toFixed(2)}×`;
const count = (value: number) => value.toLocaleString('en-US');
const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

export function formatReport(results: BenchResults): string {
  const { about, options, silent, http, residue } = results;
  const lines: string[] = [];
  const add = (...more: string[]) => lines.push(...more);
  add(
    '# Performance: the token cache, measured side by side',
    '',
    results.quick
      ? '_A quick run (`npm run bench -- --quick`): small sizes, few rounds; the figures only show that every measure runs._'
      : '_Written by `npm run bench`; every figure below comes from this one run._',
    '',
    `Machine: ${about.cpus}, ${about.memory}; Node ${about.node}; msal-node ${about.msal}; commit ${about.commit}; ${about.date}; ${results.minutes.toFixed(1)} minutes.`,
    '',
    'The machine is shared and noisy: each measure is run several times in rounds, every contender once a round in turn, and reported as the median with the range (min–max) in brackets; ratios are taken within a round, then their median.',
    '',
  );

  add(...targets(results), '');

  add(
    '## Silent acquisition from the cache',
    '',
    `Microseconds per \`acquireTokenSilent\`-equivalent call, every call a cache hit (no network): the time the cache layer takes. ${options.silent.rounds} rounds of ${options.silent.calls} calls each. The partitions are copies of one real partition (a sign-in against the emulator), each under another user's id; requests come from up to 1,000 active users in turn, as on a site where the cache holds everyone and some are browsing.`,
    '',
    `- **${FLOOR}**: msal's own minimum, the yardstick of every ratio.`,
    `- **${OURS_MEMORY}**, **${OURS_REDIS}**: a request as the samples make it (\`PerUserTokenCache.lease\`, then \`acquireTokenSilently\`): the partition read (from Redis's client-side cache in this process), and, while it is unchanged, the access token the first level remembers from it.`,
    `- **…${COLD}**: the same, for a user the first level has not seen (the first request after start-up, or after the partition changed): a msal client is built over the partition and asked.`,
    `- **${DCP_MEMORY}**, **${DCP_REDIS}**: msal's \`DistributedCachePlugin\` with a client per request, as msal's own web-app sample does: the account looked up in the cache, then the token, each a store read.`,
    `- **${SHARED}**: one msal client whose cache holds every user. Past ${options.silent.sharedClientLimitMs} ms a call it is not measured at larger sizes; the estimate grows linearly from the last measured size (a lower bound: it grows faster).`,
    '',
  );
  const names = Object.keys(silent.rows[0]?.results ?? {});
  add(
    `| contender | ${silent.rows.map((row) => `${count(row.users)} users`).join(' | ')} |`,
    `|---|${silent.rows.map(() => '---:|').join('')}`,
  );
  for (const name of names) {
    const cells = silent.rows.map((row) => {
      const result = row.results[name];
      if (!result) return '—';
      if (result.estimated) return `≈ ${micro(result.median)} (estimated)`;
      const ratio = row.ratios[name];
      return `${withRange(result, micro)}${ratio ? `<br>${times(ratio.median)} the floor` : ''}`;
    });
    add(`| ${name} | ${cells.join(' | ')} |`);
  }
  add(
    '',
    `Memory: the first level costs ${count(Math.round(silent.bytesPerWarmUser.memory))} bytes of heap per remembered user on memory, ${count(Math.round(silent.bytesPerWarmUser.redis))} on Redis (the access token, and a digest of the partition it came from; up to \`TOKEN_CACHE_WARM_USERS\` users, 10,000 by default). On Redis, node-redis's client-side cache also holds each partition read, sealed: ${count(Math.round(silent.bytesPerRedisCopy))} bytes a partition, for as many partitions. A partition holding one user's tokens is ${count(silent.partitionBytes)} bytes, ${count(silent.sealedPartitionBytes)} sealed.`,
    '',
  );

  add(
    "## Each sample's API route against its cheap route",
    '',
    `Requests per second over loopback, ${options.http.concurrency} requests in flight, ${options.http.seconds} s a measure, ${options.http.rounds} rounds, one signed-in user, access tokens of an hour (aspnetcore's, CAE tokens, of a day). The API route takes a token from the cache, calls the Graph-like API and renders a page; the cheap route renders the home page. The samples run in the benchmark's process, the emulator and its Graph-like API in another, the load in a third (\`http-load.ts\`), as autocannon would; all share the same two cores.`,
    '',
    '| sample | cheap route, req/s | API route, req/s | API / cheap |',
    '|---|---:|---:|---:|',
  );
  for (const row of http) {
    add(
      `| ${row.sample} | \`${row.cheap.path}\` ${withRange(row.cheap.rps, (v) => String(Math.round(v)))} | \`${row.api.path}\` ${withRange(row.api.rps, (v) => String(Math.round(v)))} | ${withRange(row.ratio, (v) => v.toFixed(2))} |`,
    );
  }
  add('');

  add(
    '## What sign-in/sign-out churn leaves behind',
    '',
    `For each sample, ${count(options.residue.cycles)} users (${options.residue.concurrency} at once) each sign in with a new browser, call the API route and sign out: locally (the sample's own sign-out), then globally ("Sign out everywhere" on the emulator's page, which reaches the sample through its front-channel logout URL if it has one). Then what the sample still holds, against before, and its process's heap after a garbage collection. Each measure runs in a process of its own (the samples, on memory stores), the emulator in another.`,
    '',
    `Removal markers are what a sign-out leaves on purpose: for ${REMOVAL_MARKER_SECONDS / 60} minutes, a request that began before it cannot write the user back. In memory each holds about ${count(residue.markerBytes)} bytes (measured in this run); the heap is given as measured, and without what the markers the cycles left hold. aspnet, java, node and python keep the user's session after a global sign-out, as their originals do: that is the comparison's lesson, not residue, and it lasts until it expires ([lifetimes](redis.md#what-is-stored-where)).`,
    '',
    '| sample | sign-out | sessions | `sid` records | entries of both, in all | token partitions | remembered users | removal markers alive (short-lived) | heap growth | without the markers |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const row of residue.rows) {
    const kept = row.keptByDesign ? ' (kept by design)' : '';
    add(
      `| ${row.sample} | ${row.signOut}${kept} | ${count(row.left.sessions)} | ${count(row.left.sids)} | ${count(row.left.entries)} | ${count(row.left.partitions)} | ${count(row.left.warmUsers)} | ${count(row.removalMarkers)} | ${megabytes(row.heapGrowth)} | ${megabytes(row.heapGrowthWithoutMarkers)} |`,
    );
  }
  add('');

  add(...propagationSection(results), '');
  return `${lines.join('\n')}\n`;
}

const ms = (value: number) =>
  !Number.isFinite(value)
    ? '—'
    : Math.abs(value) < 10
      ? value.toFixed(2)
      : Math.round(value).toString();
const spread = (p: Percentiles) => `${ms(p.p50)} / ${ms(p.p99)} / ${ms(p.max)}`;

/** A sign-out on A seen from B, and the warm silent call on the cluster against one Redis. */
function propagationSection({ options, propagation }: BenchResults): string[] {
  const { signOuts, rounds, calls, users } = options.propagation;
  const lines = [
    '## A sign-out on one instance, seen from another',
    '',
    `Two stores, A and B, each with connections of its own (as two instances have them), in the benchmark's one process, each under the encrypted store and a per-user token cache with a first level, as the samples have them; on one Redis, and on a Redis Cluster of 3 primaries and 3 replicas (where a removal waits for a replica, \`WAIT 1\`). For each of ${count(signOuts)} users per line and kind of request (after 10 unmeasured ones): B warms the user (two silent token calls: its client-side copy of the partition, and the access token in its first level), A runs the sign-out's removal (\`PerUserTokenCache.remove\`), and at its return B starts a request at once.`,
    '',
    '- **request**: as a sample makes it: the session read (an uncached GET of a signed-in session, which `Sessions` keeps in the hash slot of the user partition), then the lease and the silent token call. **bare lease**: the lease and token call alone, nothing read before (for information: no sample request does this).',
    "- **used**: requests that got an access token. **refused**: from A's return until B's first lease that found nothing ended (with none used, B's own request).",
    "- **copy dropped**: when node-redis's client-side cache on B dropped the partition (its `invalidate` event for the key, emitted as the invalidation Redis pushed is read), from A's return (negative: before A's call returned) and from A's call's start.",
    '',
    'Milliseconds, p50 / p99 / max.',
    '',
    "| topology | client-side cache | request: used | refused | bare lease: used | refused | copy dropped, from A's return | from A's start | A's removal |",
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of propagation.rows) {
    const dropped = row.copyDropped;
    lines.push(
      `| ${row.topology} | ${row.cache ? 'on' : 'off'} | ${row.request.used} of ${row.request.signOuts} | ${spread(row.request.refused)} | ${row.bareLease.used} of ${row.bareLease.signOuts} | ${spread(row.bareLease.refused)} | ${dropped ? `${spread(dropped.afterReturn)}${dropped.missed ? ` (${dropped.missed} never seen)` : ''}` : 'n/a'} | ${dropped ? spread(dropped.afterStart) : 'n/a'} | ${spread(row.removal)} |`,
    );
  }
  lines.push(
    '',
    `The warm silent call (a lease, the access token from the first level, the release, as in the first table) on the cluster against one Redis: microseconds per call, ${rounds} rounds of ${calls} calls each, both in turn every round (each going first every other round), over ${count(users)} users; the ratio within each round.`,
    '',
    '| client-side cache | one Redis | cluster | cluster / one Redis |',
    '|---|---:|---:|---:|',
  );
  for (const row of propagation.silent) {
    lines.push(
      `| ${row.cache ? 'on' : 'off'} | ${withRange(row.single, micro)} | ${withRange(row.cluster, micro)} | ${withRange(row.ratio, (v) => v.toFixed(2))} |`,
    );
  }
  return lines;
}

/** The issue's targets, each with the figure that meets it or not. */
function targets({ silent, http, residue, propagation }: BenchResults): string[] {
  const lines = ['## Targets', '', '| target | measured | |', '|---|---|---|'];
  // A figure that could not be measured is never a target met.
  const mark = (met: boolean, value: number) =>
    !Number.isFinite(value) ? '**not measured**' : met ? 'met' : '**not met**';
  const worst = (name: string) =>
    silent.rows.length === 0
      ? Number.NaN
      : Math.max(...silent.rows.map((row) => row.ratios[name]?.median ?? Number.NaN));
  for (const name of [OURS_MEMORY, OURS_REDIS]) {
    const ratio = worst(name);
    lines.push(
      `| ${name}: at most 1.2× msal's floor per silent call, at every size | worst ${times(ratio)} | ${mark(ratio <= 1.2, ratio)} |`,
    );
  }
  for (const name of [OURS_MEMORY, OURS_REDIS]) {
    const cold = worst(name + COLD);
    lines.push(
      `| (for information) ${name + COLD}: a msal client built and asked, once per user per token lifetime, and after start-up | worst ${times(cold)} | ${cold <= 1.2 ? 'within 1.2×' : 'above 1.2×'} |`,
    );
  }
  const largest =
    silent.rows.find((row) => row.users === 10_000) ?? silent.rows[silent.rows.length - 1];
  if (largest) {
    // Within each round, then the median of the rounds.
    const faster = (ours: string, theirs: string) => {
      const mine = largest.perRound[ours] ?? [];
      const other = largest.perRound[theirs] ?? [];
      if (mine.length === 0 || mine.length !== other.length) return Number.NaN;
      return summarize(mine.map((value, round) => (other[round] as number) / value)).median;
    };
    const onRedis = faster(OURS_REDIS, DCP_REDIS);
    const onMemory = faster(OURS_MEMORY, DCP_MEMORY);
    const at = `${count(largest.users)} users`;
    lines.push(
      `| on Redis, at least 3× faster than msal's DistributedCachePlugin on the same Redis (${at}) | ${times(onRedis)} | ${mark(onRedis >= 3, onRedis)} |`,
      `| on memory, at least 1.5× faster than msal's DistributedCachePlugin (${at}) | ${times(onMemory)} | ${mark(onMemory >= 1.5, onMemory)} |`,
    );
  }
  const aspnetcore = http.find((row) => row.sample === 'aspnetcore');
  if (aspnetcore) {
    lines.push(
      `| aspnetcore's API route at least 0.4× the requests per second of its cheap route | ${aspnetcore.ratio.median.toFixed(2)} | ${mark(aspnetcore.ratio.median >= 0.4, aspnetcore.ratio.median)} |`,
    );
  }
  const counted = residue.rows.filter((row) => !row.keptByDesign);
  const left = counted.reduce(
    (sum, row) => sum + row.left.entries + row.left.partitions + row.left.warmUsers,
    counted.length === 0 ? Number.NaN : 0,
  );
  const heap =
    counted.length === 0
      ? Number.NaN
      : Math.max(...counted.map((row) => row.heapGrowthWithoutMarkers));
  lines.push(
    `| after the sign-in/sign-out cycles, nothing left but short-lived markers (every sample, local and global, but what aspnet, java, node and python keep by design) | ${count(left)} entries | ${mark(left === 0, left)} |`,
    `| the heap after a garbage collection within 5 MB of where it started (without the markers) | largest growth ${megabytes(heap)} | ${mark(heap <= 5 * 2 ** 20, heap)} |`,
  );
  for (const row of propagation.rows) {
    const where = `${row.topology}, client-side cache ${row.cache ? 'on' : 'off'}`;
    lines.push(
      `| a request on B begun after the sign-out's response on A never uses the user's tokens (${where}) | ${row.request.used} of ${row.request.signOuts} | ${mark(row.request.used === 0, row.request.signOuts)} |`,
    );
    const dropped = row.copyDropped;
    if (dropped) {
      const p99 = dropped.missed > 0 ? Number.POSITIVE_INFINITY : dropped.afterReturn.p99;
      lines.push(
        `| B's client-side copy dropped within p99 ≤ 50 ms of A's response (${where}) | p99 ${dropped.missed > 0 ? `${dropped.missed} never seen` : `${ms(p99)} ms`} | ${dropped.missed > 0 ? '**not met**' : mark(p99 <= 50, p99)} |`,
      );
    }
  }
  for (const row of propagation.silent) {
    const ratio = row.ratio.median;
    lines.push(
      `| the warm silent call on the cluster within 1.2× of one Redis (client-side cache ${row.cache ? 'on' : 'off'}) | ${times(ratio)} (${times(row.ratio.min)}–${times(row.ratio.max)}) | ${mark(ratio <= 1.2, ratio)} |`,
    );
  }
  return lines;
}
