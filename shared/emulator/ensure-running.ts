import type { EmulatorSettings } from '../config/settings.ts';
import { type RunningEmulator, startEmulator } from './index.ts';

/** The emulator's options from its settings (what `npm run emulator` and the samples start). */
export function emulatorOptions(settings: EmulatorSettings) {
  return {
    port: settings.port,
    graphPort: settings.graphPort,
    tenantId: settings.tenantId,
    password: settings.password,
    apps: settings.apps,
    frontChannelLogoutIncludesIss: settings.frontChannelLogoutIncludesIss,
  };
}

/**
 * Reuses an emulator already listening at the configured URL (so samples in two terminals share
 * one SSO session and front-channel sign-out), or starts one in this process.
 * Returns the emulator it started, or `undefined` when it reused one.
 */
export async function ensureEmulatorRunning(
  settings: EmulatorSettings,
): Promise<RunningEmulator | undefined> {
  const discoveryUrl = `${settings.identityUrl}/${settings.tenantId}/v2.0/.well-known/openid-configuration`;
  let response: Response | undefined;
  try {
    response = await fetch(discoveryUrl, { signal: AbortSignal.timeout(2_000) });
  } catch {
    // Nothing listens there: start our own below.
  }
  if (response?.ok) return undefined;
  if (response) {
    throw new Error(
      `Something other than the emulator (or an emulator for another tenant) answers at ${settings.identityUrl}: ` +
        `${discoveryUrl} gave ${response.status}. Stop it, or set EMULATOR_PORT / EMULATOR_TENANT_ID.`,
    );
  }
  return startEmulator(emulatorOptions(settings));
}
