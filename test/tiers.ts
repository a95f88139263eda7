/**
 * The two tiers of tests, defined here and nowhere else, and the command that runs them:
 *
 *   npm test           type check, lint, then `tsx test/tiers.ts fast`: what a contributor runs
 *                      on every change (budget: a minute and a half; some 15 s on two cores)
 *   npm run test:all   type check, lint, then `tsx test/tiers.ts all`: every test, what CI runs
 *                      (budget: five minutes; some two minutes on two cores)
 *
 * The fast tier is every test file under test/core/ (the core's unit tests: a file added there is
 * in it) and the few files of `FAST`. The full tier is every `*.test.ts` file under test/ (a file
 * added anywhere is in it). Each file runs in a process of its own, `CONCURRENCY` files at a
 * time: each starts its own emulator, samples and redis-server, on ports claimed for it alone
 * (test/helpers/ports.ts). The files of `ALONE` measure their process's heap: they run last, one
 * at a time, with nothing else of the suite running. Options after the tier go to node's test
 * runner (`npm test -- --test-reporter=dot`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The core's unit tests: every test file under this folder is in the fast tier. */
export const CORE = 'test/core/';

/**
 * Besides test/core/: one end-to-end pass through each sample; the comparison, asserted cell by
 * cell (the project's lesson, measured); the docs' links, and docs/configuration.md's table of
 * variables against shared/config/schema.ts (a change of code often moves the lines a link names,
 * or a variable the table lists).
 */
export const FAST = [
  'test/samples.test.ts',
  'test/comparison.test.ts',
  'test/docs-links.test.ts',
  'test/config-schema.test.ts',
];

/** Files that must not share the machine with the rest of the suite: they measure the heap. */
export const ALONE = ['test/sign-in-strangers.test.ts'];

/** Test files run at once, each in its own process. */
export const CONCURRENCY = 3;

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every test file under test/, relative to the root, with forward slashes, sorted. */
export function testFiles(): string[] {
  return readdirSync(path.join(root, 'test'), { recursive: true, encoding: 'utf8' })
    .map((file) => `test/${file.split(path.sep).join('/')}`)
    .filter((file) => file.endsWith('.test.ts'))
    .sort();
}

/** The files of a tier, in the groups they run in, one group after the other. */
export function tier(name: 'fast' | 'all'): Array<{ files: string[]; concurrency: number }> {
  const missing = [...FAST, ...ALONE].filter((file) => !existsSync(path.join(root, file)));
  if (missing.length > 0) {
    throw new Error(`test/tiers.ts names files that do not exist: ${missing.join(', ')}`);
  }
  const files = testFiles();
  if (name === 'fast') {
    const fast = files.filter((file) => file.startsWith(CORE) || FAST.includes(file));
    return [{ files: fast, concurrency: CONCURRENCY }];
  }
  return [
    { files: files.filter((file) => !ALONE.includes(file)), concurrency: CONCURRENCY },
    { files: files.filter((file) => ALONE.includes(file)), concurrency: 1 },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const [name, ...options] = process.argv.slice(2);
  if (name !== 'fast' && name !== 'all') {
    console.error('Usage: tsx test/tiers.ts fast|all [options of node --test]');
    process.exit(2);
  }
  if (!testFiles().some((file) => file.startsWith(CORE))) {
    console.log(`== no test file under ${CORE} yet`);
  }
  const started = performance.now();
  let failed = false;
  for (const { files, concurrency } of tier(name)) {
    if (files.length === 0) continue;
    console.log(`== ${files.length} test files, ${concurrency} at a time`);
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-timeout=60000',
        `--test-concurrency=${concurrency}`,
        ...options,
        ...files,
      ],
      { cwd: root, stdio: 'inherit' },
    );
    if (run.status !== 0) failed = true;
  }
  const seconds = Math.round((performance.now() - started) / 1000);
  const command = name === 'fast' ? 'npm test' : 'npm run test:all';
  console.log(`== ${command}: the tests ${failed ? 'FAILED' : 'passed'} in ${seconds} s`);
  process.exit(failed ? 1 : 0);
}
