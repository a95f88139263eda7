/**
 * `npm run screenshots`, as the docs show it, into a scratch folder: the journeys pass in
 * Chromium and every image the docs use is written, as a PNG.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CHROMIUM_PATH } from './helpers/chromium.ts';
import { Command } from './helpers/command.ts';

const IMAGES = [
  'api-page',
  'cache-page',
  'emulator-logout',
  'landing-after-local-sign-out',
  'landing-after-sign-out',
  'landing-after-cae-challenge',
  'landing-on-a-phone',
  'landing-refresh-token-redeemed',
];

test('npm run screenshots writes the docs images from the browser journeys', {
  timeout: 180_000,
}, async (t) => {
  if (!existsSync(CHROMIUM_PATH)) {
    const message = `Chromium is not installed at ${CHROMIUM_PATH}: apt-get install -y chromium`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!! SKIPPED: ${message}\n`);
    return t.skip(message);
  }
  const out = mkdtempSync(path.join(tmpdir(), 'screenshots-'));
  const command = new Command(`npm run screenshots -- --out ${out}`, {});
  try {
    assert.equal(await command.exitCode(150_000), 0, command.output);
  } finally {
    command.kill();
  }
  for (const name of IMAGES) {
    const file = path.join(out, `${name}.png`);
    assert.ok(existsSync(file), `${name}.png written`);
    assert.equal(readFileSync(file).subarray(1, 4).toString(), 'PNG', `${name}.png is a PNG`);
  }
  // And these are the images the docs show.
  for (const name of IMAGES) assert.ok(existsSync(path.join('docs/images', `${name}.png`)), name);
});
