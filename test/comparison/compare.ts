/**
 * `npm run compare`: runs the comparison (scenarios.ts) with one instance of each app, then with
 * two over a Redis of its own, and prints a short summary: one matrix per browser era, what
 * differs marked. It writes nothing, unless asked:
 *
 *   npm run compare -- --write    also writes docs/comparison.md and its chart, docs/comparison.svg
 *
 * COMPARISON_DOCS names another folder to write them to (the tests write to a folder of their own).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../helpers/redis.ts';
import { chart } from './chart.ts';
import { terminalSummary } from './matrix.ts';
import { page } from './page.ts';
import { type Matrix, runComparison } from './scenarios.ts';

const WRITE = '--write';
const unknown = process.argv.slice(2).find((argument) => argument !== WRITE);
if (unknown !== undefined) {
  console.error(
    `npm run compare: unknown argument "${unknown}"; the only one is ${WRITE} (write docs/comparison.md and docs/comparison.svg)`,
  );
  process.exit(2);
}
const write = process.argv.includes(WRITE);

const started = performance.now();
const one = await runComparison();
// Two instances of each app over a Redis of its own (never REDIS_URL's: it is emptied).
const redis = await startRedis({ skip() {} });
let two: Matrix | undefined;
if (redis) {
  two = await runComparison({
    instances: 2,
    redisUrl: redis.url,
    flush: () => redis.flush(),
  }).finally(() => redis.close());
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(`The sign-out comparison, measured in ${seconds} s on Node ${process.version}`);
console.log(terminalSummary(one, two));

const docs = process.env.COMPARISON_DOCS || fileURLToPath(new URL('../../docs/', import.meta.url));
// Said as a path from here when it is under here (docs/comparison.md).
const shown = (file: string) => {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') ? file : relative;
};
const [markdown, svg] = ['comparison.md', 'comparison.svg'].map((name) =>
  shown(path.join(docs, name)),
) as [string, string];
if (write) {
  writeFileSync(markdown, page(one, two));
  writeFileSync(svg, chart(one));
  console.log(`\nWrote ${markdown} and ${svg}.`);
} else {
  console.log(`\nNothing written. To write ${markdown} and its chart: npm run compare -- ${WRITE}`);
}
