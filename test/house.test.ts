/**
 * The house rules, checked by the linter that `npm test` runs: no import cycle anywhere (type-only
 * imports count), the emulator imports nothing of the samples, and the samples reach the emulator
 * only through its public entry. This test proves the rules are on: it lints a small tree that
 * breaks each of them, with the project's own Biome configuration.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const biome = path.resolve('node_modules/.bin/biome');

function lint(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'house-'));
  try {
    copyFileSync('biome.json', path.join(root, 'biome.json'));
    copyFileSync('.gitignore', path.join(root, '.gitignore'));
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), content);
    }
    const result = spawnSync(biome, ['lint', '--max-diagnostics=50', '.'], {
      cwd: root,
      encoding: 'utf8',
    });
    return result.stdout + result.stderr;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('the linter refuses an import cycle, even through a type-only import', () => {
  const output = lint({
    'shared/a.ts': "import type { B } from './b.ts';\nexport interface A { b?: B }\n",
    'shared/b.ts': "import type { A } from './a.ts';\nexport interface B { a?: A }\n",
  });
  assert.match(output, /shared\/a\.ts:1:\d+ lint\/suspicious\/noImportCycles/);
  assert.match(output, /shared\/b\.ts:1:\d+ lint\/suspicious\/noImportCycles/);
});

test('the linter keeps dependencies one way: shared/ imports nothing of samples/', () => {
  const output = lint({
    'samples/index.ts': "import { render } from '../shared/render.ts';\nexport const r = render;\n",
    'shared/render.ts':
      "import { samples } from '../samples/list.ts';\nexport const render = samples;\n",
    'samples/list.ts': 'export const samples = [];\n',
  });
  assert.match(output, /shared\/render\.ts:1:\d+ lint\/style\/noRestrictedImports/);
  assert.match(output, /Dependencies run one way/);
  assert.doesNotMatch(output, /samples\/index\.ts:1:/, 'samples may use shared/');
});

test("the linter keeps the emulator apart: it imports nothing of the samples', who use its entry", () => {
  const output = lint({
    'emulator/index.ts': 'export const start = 1;\n',
    'emulator/tokens.ts':
      "import { render } from '../shared/web/render.ts';\nexport const r = render;\n",
    'shared/web/render.ts': 'export const render = 1;\n',
    'shared/run/start.ts':
      "import { start } from '../../emulator/index.ts';\nimport { sign } from '../../emulator/sign.ts';\nexport const s = [start, sign];\n",
    'emulator/sign.ts': 'export const sign = 1;\n',
  });
  assert.match(output, /emulator\/tokens\.ts:1:\d+ lint\/style\/noRestrictedImports/);
  assert.match(output, /imports nothing from the samples or their shared code/);
  assert.match(output, /shared\/run\/start\.ts:2:\d+ lint\/style\/noRestrictedImports/);
  assert.match(output, /only through its public entry/);
  assert.doesNotMatch(output, /shared\/run\/start\.ts:1:/, 'the public entry is allowed');
});
