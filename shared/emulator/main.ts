/**
 * `npm run emulator`: the identity platform emulator and the Graph-like API on their own, so that
 * samples started in other terminals share it (one SSO session, front-channel sign-out across them).
 */
import { ConfigurationError, loadEmulatorSettings } from '../config/settings.ts';
import { onShutdown } from '../web/run-sample.ts';
import { emulatorOptions } from './ensure-running.ts';
import { startEmulator } from './index.ts';

try {
  const settings = loadEmulatorSettings();
  const emulator = await startEmulator(emulatorOptions(settings));
  console.log(`Identity platform emulator: ${emulator.identityUrl} (tenant ${emulator.tenantId})`);
  console.log(`Graph-like API:             ${emulator.graphUrl}`);
  console.log(
    `Registered apps:            ${settings.apps.map((app) => app.displayName).join(', ')}`,
  );
  onShutdown(() => emulator.close());
} catch (error) {
  console.error(error instanceof ConfigurationError ? error.message : (error as Error).message);
  process.exit(1);
}
