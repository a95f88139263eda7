/**
 * Node.js 22.12 or later, as package.json's `engines` says: on an older one, `npm start`,
 * `npm test`, `npm run test:all` and every other command that runs the project's code stop at once
 * with one line saying so
 * (shared/run/node-version.js), and `npm ci` refuses to install (`.npmrc`: engine-strict). Proved
 * with an older Node.js: OLDER_NODE_PATH (which .ci/run sets to Node.js 20 from the npm
 * registry), or Debian's /usr/bin/node. Without one, those tests are skipped loudly on a user's
 * machine, and fail under CI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, type TestContext, test } from 'node:test';
import { Command } from './helpers/command.ts';

const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as {
  engines: { node: string };
  scripts: Record<string, string>;
};
const CHECK = 'node shared/run/node-version.js';
const NEEDED = /^Node\.js 22\.12 or later is needed \(this is v\d+\.\d+\.\d+\)\.$/m;

const isOlder = (version: string) => {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major < 22 || (major === 22 && minor < 12);
};

/** A Node.js binary older than 22.12 on this machine, if there is one. */
const older = [process.env.OLDER_NODE_PATH, '/usr/bin/node', '/usr/local/bin/node'].find(
  (candidate) => {
    if (!candidate || !existsSync(candidate)) return false;
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout?.trim();
    return version !== undefined && /^v\d+\./.test(version) && isOlder(version);
  },
);

/** The older Node.js, or the test skipped, loudly (under CI, where .ci/run provides one, it fails). */
function olderNode(t: TestContext): string | undefined {
  if (older) return older;
  const message =
    'no Node.js older than 22.12 on this machine (/usr/bin/node, /usr/local/bin/node): set OLDER_NODE_PATH to one to run this test';
  assert.notEqual(process.env.CI, 'true', `under CI: ${message}`);
  console.warn(`\n!! SKIPPED: ${message}\n`);
  t.skip(message);
  return undefined;
}

const running: Command[] = [];
afterEach(() => {
  for (const command of running.splice(0)) command.kill();
});

test('package.json needs Node.js 22.12 or later, and the commands check it first', () => {
  assert.equal(packageJson.engines.node, '>=22.12');
  // Every command that runs the project's code; the type check, lint and format run tools only.
  const commands = Object.keys(packageJson.scripts).filter(
    (script) => !['typecheck', 'lint', 'format'].includes(script),
  );
  assert.ok(commands.includes('start') && commands.includes('your-own-app'), commands.join(' '));
  for (const script of commands) {
    assert.ok(packageJson.scripts[script]?.startsWith(`${CHECK} && `), `npm run ${script}`);
  }
  assert.match(readFileSync('.npmrc', 'utf8'), /^engine-strict=true$/m);
});

test('this Node.js passes the check, silently', () => {
  const check = spawnSync(process.execPath, ['shared/run/node-version.js'], { encoding: 'utf8' });
  assert.equal(check.status, 0);
  assert.equal(check.stdout + check.stderr, '');
});

for (const line of ['npm start', 'npm test', 'npm run test:all']) {
  test(`on an older Node.js, ${line} says at once that 22.12 or later is needed, and runs nothing`, async (t) => {
    const node = olderNode(t);
    if (!node) return;
    const command = new Command(line, {
      PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}`,
    });
    running.push(command);
    assert.equal(await command.exitCode(), 1, command.output);
    assert.match(command.output, NEEDED);
    // npm announced the script, and nothing after it ran: no type check, no emulator.
    assert.doesNotMatch(command.output, /typecheck\n> tsc|Started the identity platform/);
  });
}

test('on an older Node.js, npm ci refuses to install (engine-strict)', async (t) => {
  const node = olderNode(t);
  if (!node) return;
  // A copy of what npm ci reads; --dry-run --offline: nothing is installed or fetched, whatever happens.
  const folder = mkdtempSync(path.join(tmpdir(), 'engines-'));
  t.after(() => rmSync(folder, { recursive: true, force: true }));
  for (const file of ['package.json', 'package-lock.json', '.npmrc']) {
    copyFileSync(file, path.join(folder, file));
  }
  const command = new Command(
    `npm ci --dry-run --offline --no-audit --no-fund --prefix ${folder}`,
    {
      PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH ?? ''}`,
    },
  );
  running.push(command);
  assert.notEqual(await command.exitCode(), 0, command.output);
  assert.match(command.output, /EBADENGINE/);
  assert.match(command.output, /Required: \{"node":">=22\.12"\}/);
});
