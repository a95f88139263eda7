/**
 * `npm run bench -- --quick`, run as a person runs it: every measure of the benchmark, small. Its
 * figures are not judged here (timings are the benchmark's business, not a test's); what is: that
 * it measures everything it reports, and that sign-in/sign-out churn leaves nothing behind but
 * short-lived markers, in every sample, but what the 2019 originals keep by design.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sampleNames } from '../samples/index.ts';
import { Command } from './helpers/command.ts';
import { startRedis } from './helpers/redis.ts';

/** The cells of the rows of the Markdown table under `heading`. */
function table(report: string, heading: string): string[][] {
  const section = report.split(/^## /m).find((part) => part.startsWith(heading));
  assert.ok(section, `a section "${heading}"`);
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('|---'))
    .slice(1)
    .map((line) =>
      line
        .slice(2, -2)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}

test('npm run bench -- --quick measures everything, and the churn leaves nothing behind', {
  timeout: 180_000,
}, async (t) => {
  // The benchmark starts a redis-server of its own: skipped (loudly) where there is none.
  const redis = await startRedis(t);
  if (!redis) return;
  await redis.close();

  const out = path.join(mkdtempSync(path.join(tmpdir(), 'bench-')), 'performance.md');
  const bench = new Command(`npm run bench -- --quick --out ${out}`, {
    ...(process.env.REDIS_SERVER_PATH ? { REDIS_SERVER_PATH: process.env.REDIS_SERVER_PATH } : {}),
  });
  t.after(() => bench.kill());
  assert.equal(await bench.exitCode(170_000), 0, bench.output);
  const msal = JSON.parse(readFileSync('node_modules/@azure/msal-node/package.json', 'utf8'));
  assert.match(bench.output, new RegExp(`Node ${process.version}; msal-node ${msal.version}`));
  const report = readFileSync(out, 'utf8');
  assert.match(report, /^Machine: \d+ × .+; Node v[\d.]+; msal-node [\d.]+; commit /m);
  assert.doesNotMatch(report, /NaN|Infinity|undefined/);

  const targets = table(report, 'Targets');
  assert.equal(targets.length, 17, 'every target, with what was measured');

  // A sign-out on instance A, seen from B: one Redis and the cluster, client-side cache on and off.
  const propagation = table(report, 'A sign-out on one instance, seen from another');
  assert.deepEqual(
    propagation.slice(0, 4).map((row) => `${row[0]} ${row[1]}`),
    ['one Redis on', 'one Redis off', 'cluster on', 'cluster off'],
  );
  for (const row of propagation.slice(0, 4)) {
    // No request as a sample makes it uses the tokens once A's sign-out has answered.
    assert.match(row[2] ?? '', /^0 of \d+$/, `${row[0]}, cache ${row[1]}: none used`);
  }

  const silent = table(report, 'Silent acquisition');
  assert.equal(silent.length, 8, 'the floor and seven contenders');
  for (const row of silent) assert.match(row.slice(1).join(' '), /^[\d.]+ \(/, row[0]);

  const http = table(report, "Each sample's API route");
  assert.deepEqual(
    http.map((row) => row[0]),
    sampleNames,
  );
  for (const row of http) assert.match(row[3] ?? '', /^\d+\.\d\d \(/, `${row[0]}: a ratio`);

  // sample | sign-out | sessions | sid records | entries | partitions | remembered | markers | heap…
  const residue = table(report, 'What sign-in/sign-out churn leaves');
  assert.equal(residue.length, sampleNames.length * 2);
  for (const [sample, signOut, ...left] of residue) {
    const counts = left.slice(0, 5).map(Number);
    if (signOut?.endsWith('(kept by design)')) {
      assert.notEqual(sample, 'aspnetcore', 'aspnetcore forgets the user on a global sign-out');
      assert.ok((counts[0] ?? 0) > 0, `${sample} keeps the sessions, as its original does`);
    } else {
      assert.deepEqual(counts, [0, 0, 0, 0, 0], `${sample}, ${signOut}: nothing left`);
      assert.ok(Number(left[5]) > 0, `${sample}, ${signOut}: its sign-outs left markers`);
    }
  }
});
