import { existsSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`), or the one CHROMIUM_PATH names. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Real Chromium, driven by playwright-core, or `undefined` when it is not installed: the test is
 * then skipped with a message that names the package, except under CI (`CI=true`), where `.ci/run`
 * installs it and a missing browser is a failure.
 */
export async function launchChromium(
  t: TestContext,
  options: LaunchOptions = {},
): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM_PATH)) {
    const message = `Chromium is not installed at ${CHROMIUM_PATH}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH`;
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`\n!! SKIPPED: ${message}\n`);
    t.skip(message);
    return undefined;
  }
  return launchDebianChromium(options);
}

interface LaunchOptions {
  /**
   * Keep Chromium's back/forward cache on, as a person's browser has it: playwright turns it off
   * by default (`--disable-back-forward-cache`).
   */
  backForwardCache?: boolean;
}

/** Debian's Chromium, headless; fails if it is not installed. */
export function launchDebianChromium({
  backForwardCache = false,
}: LaunchOptions = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    ...(backForwardCache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
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

/**
 * Every Content-Security-Policy violation in the pages of `context`, frames included, as it
 * happens: the `securitypolicyviolation` events of each document (an inline script or style
 * without the nonce, a frame or a form target the policy does not allow), and Chromium's console
 * messages, which also say when a page refused to be framed (`frame-ancestors`), where no document
 * of the framed page runs. The page's policy does not apply to what playwright injects.
 */
export async function cspViolations(context: BrowserContext): Promise<string[]> {
  const violations: string[] = [];
  await context.exposeBinding('reportCspViolation', (_source, violation: string) => {
    violations.push(violation);
  });
  await context.addInitScript(`document.addEventListener('securitypolicyviolation', (event) => {
    reportCspViolation(event.documentURI + ': ' + event.effectiveDirective + ' refused ' + event.blockedURI);
  });`);
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}
