import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { type Browser, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`), or the one CHROMIUM_PATH names. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Real Chromium, driven by playwright-core, or `undefined` when it is not installed: the test is
 * then skipped with a message that names the package, except under CI (`CI=true`), where `.ci/run`
 * installs it and a missing browser is a failure.
 */
export async function launchChromium(t: TestContext): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM_PATH)) {
    const message = `Chromium is not installed at ${CHROMIUM_PATH}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!! SKIPPED: ${message}\n`);
    t.skip(message);
    return undefined;
  }
  return launchDebianChromium();
}

/** Debian's Chromium, headless; fails if it is not installed. */
export function launchDebianChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}
