/** What the emulator refuses to start with. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EmulatorOptionsError, startEmulator } from '../../emulator/index.ts';
import { emulatorOptions, OTHER, WEB } from './helper.ts';

test('two apps with one client id are refused before anything listens, naming both', async () => {
  const twin = { ...OTHER, clientId: WEB.clientId.toUpperCase() };
  await assert.rejects(
    startEmulator(emulatorOptions({ apps: [WEB, twin] })),
    (error: Error) =>
      error instanceof EmulatorOptionsError &&
      error.message ===
        `Two apps are registered with client id ${WEB.clientId}: "Web app" and "Other app"`,
  );
});
