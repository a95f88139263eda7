import type { AppRegistration, EmulatorOptions } from '../../emulator/index.ts';
import type { EmulatorSettings } from '../config/settings.ts';

/**
 * The wiring between the samples and the emulator: each sample's `registration.ts`, at the URL the
 * sample is configured to run at, becomes an app registered in the emulated tenant, followed by the
 * apps of the EMULATOR_APPS file (the settings have refused any that reuses a client id).
 */
export function emulatorApps(emulator: EmulatorSettings): AppRegistration[] {
  return [
    ...emulator.registeredSamples.map(sampleApp),
    ...emulator.extraApps.map(({ app }) => app),
  ];
}

/** A sample's registration, at its URL, with the secret this checkout made for it. */
function sampleApp({
  registration,
  baseUrls,
  clientSecret,
}: EmulatorSettings['registeredSamples'][number]): AppRegistration {
  const [baseUrl = ''] = baseUrls;
  const app: AppRegistration = {
    displayName: registration.displayName,
    clientId: registration.emulatorClientId,
    clientSecret,
    // Every instance's, as a user registers each URL they run at (see `registerInstanceUrls` in `shared/config/settings.ts`).
    redirectUris: [
      ...new Set(
        baseUrls.flatMap((url) => [
          url + registration.redirectPath,
          ...(registration.postLogoutRedirectRegistered
            ? [url + registration.postLogoutRedirectPath]
            : []),
        ]),
      ),
    ],
    optionalClaims: registration.optionalClaims,
    // The Graph scopes the sample asks for are its API permissions: all it can be granted.
    apiPermissions: registration.scopes,
  };
  if (registration.frontChannelLogoutPath) {
    app.frontChannelLogoutUrl = baseUrl + registration.frontChannelLogoutPath;
  }
  return app;
}

/** The options the emulator starts with: its settings, and every app to register. */
export function emulatorOptions(emulator: EmulatorSettings): EmulatorOptions {
  return {
    port: emulator.port,
    graphPort: emulator.graphPort,
    tenantId: emulator.tenantId,
    password: emulator.password,
    apps: emulatorApps(emulator),
    publicUrls: { identity: emulator.identityUrl, graph: emulator.graphUrl },
    frontChannelLogoutIncludesIss: emulator.frontChannelLogoutIncludesIss,
    logoutAutoContinue: emulator.logoutAutoContinue,
    generatedUsers: emulator.generatedUsers,
    accessTokenLifetimeSeconds: emulator.accessTokenLifetimeSeconds,
    caeAccessTokenLifetimeSeconds: emulator.caeAccessTokenLifetimeSeconds,
    criticalEventDelaySeconds: emulator.criticalEventDelaySeconds,
  };
}
