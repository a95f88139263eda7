import { createServer, type RequestListener, type Server } from 'node:http';
import type { SampleName } from '../app-registrations.ts';
import { closeServer } from '../close-server.ts';
import {
  ConfigurationError,
  loadSettings,
  readEnvironment,
  type Settings,
} from '../config/settings.ts';
import { ensureEmulatorRunning } from '../emulator/ensure-running.ts';
import { discoverIdentityProvider } from '../msal/identity-provider.ts';
import { type KeyValueStore, MemoryStore } from '../store/key-value-store.ts';
import {
  createSampleApp,
  createSampleServices,
  type Sample,
  type SampleFactory,
  type SampleServices,
} from './sample-app.ts';

export interface RunningSample {
  url: string;
  settings: Settings;
  services: SampleServices;
  links: Sample['links'];
  close(): Promise<void>;
}

/** Starts one sample's HTTP server (the emulator, if any, must already be reachable). */
export async function startSample(
  settings: Settings,
  createSample: SampleFactory,
  store: KeyValueStore = new MemoryStore(),
): Promise<RunningSample> {
  const provider = await discoverIdentityProvider(settings.identity);
  const services = createSampleServices(settings, provider, store);
  const { app, sample } = createSampleApp(services, createSample);
  const server = await listen(app.callback(), settings.sample.port);
  return {
    url: settings.sample.baseUrl,
    settings,
    services,
    links: sample.links,
    async close() {
      await closeServer(server);
      await store.close();
    },
  };
}

/** Something started beside the samples (the landing page of `npm start`). */
export type Companion = (
  samples: RunningSample[],
  identityUrl: string | undefined,
) => Promise<{ url: string; close(): Promise<void> }>;

/**
 * The entry of `npm run sample:<name>` and `npm start`: settings, the emulator if needed (started
 * here, or reused), the samples, an optional companion, and a clean stop on Ctrl-C.
 */
export async function runSamples(
  factories: Partial<Record<SampleName, SampleFactory>>,
  companion?: Companion,
): Promise<void> {
  const closers: Array<() => Promise<void>> = [];
  onShutdown(async () => {
    for (const close of closers.reverse()) await close();
  });
  try {
    const env = readEnvironment();
    const names = Object.keys(factories) as SampleName[];
    const allSettings = names.map((name) => loadSettings(name, env));
    const emulatorSettings = allSettings[0]?.emulator;
    if (emulatorSettings) {
      const emulator = await ensureEmulatorRunning(emulatorSettings);
      if (emulator) closers.push(() => emulator.close());
      console.log(
        emulator
          ? `Started the identity platform emulator at ${emulator.identityUrl} (Graph-like API at ${emulator.graphUrl})`
          : `Using the identity platform emulator already running at ${emulatorSettings.identityUrl}`,
      );
    }
    const samples: RunningSample[] = [];
    for (const settings of allSettings) {
      const sample = await startSample(settings, factories[settings.sample.name] as SampleFactory);
      closers.push(() => sample.close());
      samples.push(sample);
      console.log(`${settings.sample.registration.displayName}: ${sample.url}`);
    }
    if (companion) {
      const started = await companion(samples, emulatorSettings?.identityUrl);
      closers.push(() => started.close());
      console.log(`\nOpen ${started.url}`);
    }
  } catch (error) {
    console.error(error instanceof ConfigurationError ? error.message : (error as Error).message);
    for (const close of closers.reverse()) await close().catch(() => {});
    process.exit(1);
  }
}

/** Runs `cleanup` once on Ctrl-C or SIGTERM, then exits. */
export function onShutdown(cleanup: () => Promise<void>): void {
  const stop = () => {
    cleanup().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

export function listen(handler: RequestListener, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`Port ${port} is already in use`) : error),
    );
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
