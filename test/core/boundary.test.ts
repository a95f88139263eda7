/**
 * The core's boundary: `shared/core/` imports nothing outside itself (its own files, Node.js and
 * packages only), so that an app can copy the folder. The linter keeps it (`biome.json`); here,
 * the rule is shown to fire, and the core's files are read for what they import.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '../..');
const core = path.join(root, 'shared/core');

/** Lints `files` (path → source) laid out as in the repository, under the repository's rules. */
async function lint(files: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'core-boundary-'));
  const config = JSON.parse(readFileSync(path.join(root, 'biome.json'), 'utf8'));
  config.vcs.enabled = false; // the probe is not in a git checkout
  writeFileSync(path.join(dir, 'biome.json'), JSON.stringify(config));
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), source);
  }
  const biome = path.join(root, 'node_modules/.bin/biome');
  const run = promisify(execFile)(biome, ['lint', '--max-diagnostics=50', '.'], { cwd: dir });
  return run.then(
    ({ stdout, stderr }) => stdout + stderr,
    (failed: { stdout: string; stderr: string }) => failed.stdout + failed.stderr,
  );
}

const importing = (specifier: string) => `import { x } from '${specifier}';\nexport const y = x;\n`;

test('the linter refuses an import out of the core, however it is written, and allows one within', async () => {
  const out = {
    'shared/core/out.ts': '../timeline/timeline.ts',
    'shared/core/dot-out.ts': './../timeline/timeline.ts',
    'shared/core/through.ts': './session/../../timeline/timeline.ts',
    'shared/core/absolute.ts': '/work/shared/timeline/timeline.ts',
    'shared/core/url.ts': 'file:///work/shared/timeline/timeline.ts',
    'shared/core/session/out.ts': '../../sample/inspector.ts',
    'shared/core/session/dot-out.ts': './../../sample/inspector.ts',
    'shared/core/session/through.ts': '../store/../../sample/inspector.ts',
    'shared/core/session/parent.ts': '../..',
    'shared/core/store/emulator.ts': '../../../emulator/index.ts',
  };
  const within = {
    'shared/core/within.ts': './events.ts',
    'shared/core/session/within.ts': '../token-cache/token-cache.ts',
    'shared/core/session/here.ts': './sessions.ts',
  };
  const files = Object.fromEntries(
    Object.entries({ ...out, ...within }).map(([file, from]) => [file, importing(from)]),
  );
  const output = await lint(files);
  const refused = [...output.matchAll(/^(\S+\.ts):\d+:\d+ lint\/style\/noRestrictedImports/gm)]
    .map((match) => match[1])
    .sort();
  assert.deepEqual(refused, Object.keys(out).sort());
  assert.match(output, /The core \(shared\/core\/\) is what an app copies/);
});

/** Every module a source file names: `from '…'`, `import('…')`, `import '…'`, either quote. */
function specifiersIn(source: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\1/g;
  return [...source.matchAll(pattern)].map((match) => match[2] as string);
}

test('no file of the core imports the timeline, observer, inspector, emulator, a sample or anything else outside it', () => {
  const files = readdirSync(core, { recursive: true, encoding: 'utf8' }).filter((file) =>
    file.endsWith('.ts'),
  );
  assert.ok(files.length > 10, 'the core is there');
  const outside = files.flatMap((file) => {
    const source = readFileSync(path.join(core, file), 'utf8');
    return specifiersIn(source).flatMap((specifier) => {
      // A package (`node:crypto`, `@azure/msal-node`, `koa`…) is not a file of this project.
      const relative = specifier.startsWith('.') || specifier.startsWith('/');
      if (!relative && !specifier.startsWith('file:')) return [];
      const target = specifier.startsWith('file:')
        ? new URL(specifier).pathname
        : path.resolve(path.dirname(path.join(core, file)), specifier);
      return target.startsWith(core + path.sep) ? [] : [`${file}: ${specifier}`];
    });
  });
  assert.deepEqual(outside, []);
});

test('the linter keeps your own app (samples/your-own-app/app.ts) to the core: any other relative import is refused', async () => {
  const imports = {
    allowed: ['../../shared/core/index.ts', '../../shared/core/session/sessions.ts', 'koa'],
    refused: [
      '../../shared/web/render.ts',
      '../../shared/core/../sample/services.ts',
      '../../emulator/index.ts',
      '../aspnetcore/sign-out.ts',
      './main.ts',
      '..',
    ],
  };
  const specifiers = [...imports.allowed, ...imports.refused];
  const source = specifiers.map((from, index) => `import { x as x${index} } from '${from}';\n`);
  const output = await lint({
    'samples/your-own-app/app.ts': `${source.join('')}export const y = [${specifiers.map((_, index) => `x${index}`)}];\n`,
  });
  const refused = [
    ...output.matchAll(
      /^samples\/your-own-app\/app\.ts:(\d+):\d+ lint\/style\/noRestrictedImports/gm,
    ),
  ].map((match) => specifiers[Number(match[1]) - 1]);
  assert.deepEqual(refused, imports.refused);
  assert.match(output, /Your own app \(docs\/your-own-koa-app\.md\) imports only the core/);
});
