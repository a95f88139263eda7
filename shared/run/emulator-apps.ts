import type { AppRegistration, EmulatorOptions } from '../../emulator/index.ts';
import {
  ConfigurationError,
  type EmulatorSettings,
  type SampleSettings,
} from '../config/settings.ts';

/**
 * The wiring between the samples and the emulator: each sample's `registration.ts`, at the URL the
 * sample is configured to run at, becomes an app registered in the emulated tenant, followed by the
 * apps of the EMULATOR_APPS file. A client id can be registered once: an EMULATOR_APPS entry that
 * reuses one is refused, naming the entry and the app that has it.
 */
export function emulatorApps(
  samples: readonly SampleSettings[],
  emulator: EmulatorSettings,
): AppRegistration[] {
  const apps = samples.map(({ registration, baseUrl }): AppRegistration => {
    const app: AppRegistration = {
      displayName: registration.displayName,
      clientId: registration.emulatorClientId,
      clientSecret: registration.emulatorClientSecret,
      redirectUris: [
        ...new Set([
          baseUrl + registration.redirectPath,
          baseUrl + registration.postLogoutRedirectPath,
        ]),
      ],
    };
    if (registration.frontChannelLogoutPath) {
      app.frontChannelLogoutUrl = baseUrl + registration.frontChannelLogoutPath;
    }
    return app;
  });
  const problems: string[] = [];
  for (const { app, source } of emulator.extraApps) {
    const taken = apps.find((registered) => registered.clientId === app.clientId);
    if (taken) {
      problems.push(
        `${source}: client id ${app.clientId} is already registered, by "${taken.displayName}"; give this app its own`,
      );
    } else {
      apps.push(app);
    }
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return apps;
}

/** The options the emulator starts with, from its settings and the apps to register. */
export function emulatorOptions(
  emulator: EmulatorSettings,
  apps: AppRegistration[],
): EmulatorOptions {
  return {
    port: emulator.port,
    graphPort: emulator.graphPort,
    tenantId: emulator.tenantId,
    password: emulator.password,
    apps,
    frontChannelLogoutIncludesIss: emulator.frontChannelLogoutIncludesIss,
  };
}
