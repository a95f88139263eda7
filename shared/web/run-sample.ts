import { createServer, type RequestListener, type Server } from 'node:http';
import type { SampleName } from '../app-registrations.ts';
import { ConfigurationError, loadSettings, type Settings } from '../config/settings.ts';
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
    services,
    links: sample.links,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    },
  };
}

/** The `npm run sample:<name>` entry: settings, the emulator if needed, the sample, Ctrl-C. */
export async function runSample(name: SampleName, createSample: SampleFactory): Promise<void> {
  try {
    const settings = loadSettings(name);
    const emulator = settings.emulator ? await ensureEmulatorRunning(settings.emulator) : undefined;
    if (settings.emulator) {
      console.log(
        emulator
          ? `Started the identity platform emulator at ${emulator.identityUrl} (Graph-like API at ${emulator.graphUrl})`
          : `Using the identity platform emulator already running at ${settings.emulator.identityUrl}`,
      );
    }
    const sample = await startSample(settings, createSample);
    console.log(`${settings.sample.registration.displayName}: ${sample.url}`);
    onShutdown(async () => {
      await sample.close();
      await emulator?.close();
    });
  } catch (error) {
    console.error(
      error instanceof ConfigurationError ? error.message : `${(error as Error).message}`,
    );
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

function listen(handler: RequestListener, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`Port ${port} is already in use`) : error),
    );
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}
