/**
 * The learning companion in a real browser: Debian's Chromium, driven by playwright-core, through
 * `npm start` as a new user runs it. The journeys (`journeys/journeys.ts`) click and type their
 * way through the landing page, the samples and the emulator, and check the timeline, the cards
 * and each sample's pages as they go. `npm run screenshots` takes the docs' images from the same
 * journeys. Without Chromium the suite is skipped loudly, except under CI, where it fails.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cspViolations, launchChromium } from './helpers/chromium.ts';
import {
  caeChallengeAfterRevocation,
  eachSampleSignsInAndOut,
  type Journey,
  localSignOutInPython,
  refreshTokenAfterSignOut,
  signOutContinuesByItself,
  signOutEverywhere,
} from './journeys/journeys.ts';
import { npmStart, type StartedProject } from './journeys/npm-start.ts';

/** Each journey, and the variables its `npm start` runs with. */
const journeys: Record<string, [(journey: Journey) => Promise<void>, Record<string, string>?]> = {
  'sign in to the five samples, call each API, sign out everywhere: aspnetcore forgets, the four others keep tokens':
    [signOutEverywhere],
  'a local sign-out in python: python clears its session, and aspnetcore is told and forgets': [
    localSignOutInPython,
  ],
  "each sample's sign-in and sign-out, by clicking": [eachSampleSignsInAndOut],
  "EMULATOR_LOGOUT_AUTO_CONTINUE=on: the sign-out page continues by itself, as Entra's": [
    signOutContinuesByItself,
    { EMULATOR_LOGOUT_AUTO_CONTINUE: 'on' },
  ],
  'EMULATOR_ACCESS_TOKEN_LIFETIME_SECONDS=301: after a sign-out everywhere, java redeems the refresh token it kept, and the timeline says so':
    [refreshTokenAfterSignOut, { EMULATOR_ACCESS_TOKEN_LIFETIME_SECONDS: '301' }],
  'CAE: revoked sessions; the API challenges aspnetcore (cp1), which sends the user to sign in with the claims; java still calls the API':
    [caeChallengeAfterRevocation],
};

describe('browser journeys through npm start', () => {
  for (const [name, [journey, env]] of Object.entries(journeys)) {
    test(name, { timeout: 120_000 }, async (t) => {
      const chromium = await launchChromium(t);
      if (!chromium) return;
      let project: StartedProject | undefined;
      try {
        const context = await chromium.newContext();
        const violations = await cspViolations(context);
        project = await npmStart(env);
        const run: Journey = { project, context, shoot: async () => {} };
        await journey(run);
        // Every page worked under its Content-Security-Policy, and none had to refuse anything.
        assert.deepEqual(violations, []);
      } finally {
        await chromium.close();
        await project?.stop();
      }
    });
  }
});
