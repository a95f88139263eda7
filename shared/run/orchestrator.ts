import type { EmulatorOptions } from '../../emulator/index.ts';
import {
  type Environment,
  loadSettings,
  type ProjectSettings,
  readEnvironment,
  type Settings,
} from '../config/settings.ts';
import { StartupError } from '../errors.ts';
import { discoverIdentityProvider, type IdentityProvider } from '../msal/identity-provider.ts';
import type { SampleDefinition, SampleRoutes } from '../sample/contract.ts';
import { createSampleApp } from '../sample/sample-app.ts';
import { createSampleServices } from '../sample/services.ts';
import { MemoryStore } from '../store/key-value-store.ts';
import { emulatorOptions } from './emulator-apps.ts';
import { EmulatorLink, type Logger } from './emulator-link.ts';
import { closeServer, listen } from './http-server.ts';

/**
 * The one place that starts things, for `npm start`, `npm run sample:<name>`, `npm run emulator`
 * and the tests: read every setting first (all problems at once), then the emulator in emulator
 * mode, then the identity provider's discovery document (once), then the samples.
 */

export interface ProjectOptions {
  /** Every sample of the project: their registrations are the emulator's apps. */
  definitions: readonly SampleDefinition[];
  /** The names of those to run in this process (default: all). */
  run?: readonly string[];
  env?: Environment;
  /**
   * `shared` (the commands): use the emulator that answers at the configured URL, or start one,
   * and keep watching it. `own` (the tests, `npm run emulator`): start one here, or fail.
   */
  emulator: 'shared' | 'own';
  /** Also read LANDING_PORT (`npm start`), so that its problems are named with the others. */
  landing?: boolean;
  /** For tests: change the emulator's options before it starts (token lifetimes, a wrong secret). */
  customizeEmulator?: (options: EmulatorOptions) => EmulatorOptions;
  log?: Logger;
}

export interface RunningSample {
  name: string;
  /** The sample's public URL, e.g. `http://localhost:3001`. */
  url: string;
  settings: Settings;
  definition: SampleDefinition;
  routes: SampleRoutes;
  close(): Promise<void>;
}

export interface RunningProject {
  settings: ProjectSettings;
  /** In emulator mode: the emulator this process runs, or found running elsewhere. */
  emulator: EmulatorLink | undefined;
  samples: RunningSample[];
  /** Stops the samples, then the emulator if this process runs it. */
  close(): Promise<void>;
}

const quiet: Logger = { info() {}, warn() {} };

export async function startProject(options: ProjectOptions): Promise<RunningProject> {
  const log = options.log ?? quiet;
  const settings = loadSettings(
    options.definitions.map((definition) => definition.registration),
    options.env ?? readEnvironment(),
    { landing: options.landing ?? false, ...(options.run ? { run: options.run } : {}) },
  );
  if (options.emulator === 'own' && !settings.emulator) {
    throw new StartupError(
      'ENTRA_TENANT_ID is set: the samples use Entra ID, and there is no emulator to run. Unset it to run the emulator.',
    );
  }
  const toRun = options.definitions.filter((definition) =>
    settings.samples.some((sample) => sample.name === definition.registration.name),
  );
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    let emulator: EmulatorLink | undefined;
    if (settings.emulator) {
      const customize = options.customizeEmulator ?? ((same) => same);
      const start = customize(emulatorOptions(settings.emulator));
      emulator =
        options.emulator === 'own'
          ? await EmulatorLink.start(settings.emulator, start, log)
          : await EmulatorLink.connect(settings.emulator, start, log, { watch: true });
      const link = emulator;
      closers.push(() => link.close());
    }
    const samples: RunningSample[] = [];
    if (toRun.length > 0) {
      const provider = await discoverIdentityProvider(settings.identity);
      for (const definition of toRun) {
        const sample = await startSample(settings, definition, provider);
        closers.push(() => sample.close());
        samples.push(sample);
        log.info(`${definition.registration.displayName}: ${sample.url}`);
      }
    }
    return { settings, emulator, samples, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

async function startSample(
  project: ProjectSettings,
  definition: SampleDefinition,
  provider: IdentityProvider,
): Promise<RunningSample> {
  const { name } = definition.registration;
  const sample = project.samples.find((candidate) => candidate.name === name);
  if (!sample) throw new Error(`No settings for the sample ${name}`);
  const settings: Settings = { identity: project.identity, sample };
  // Each sample is its own app with its own store (memory: one process, one instance).
  const { services, close } = createSampleServices(settings, provider, new MemoryStore());
  const { app, routes } = createSampleApp(services, definition);
  const server = await listen(app.callback(), sample.port, `${name.toUpperCase()}_PORT`).catch(
    async (error) => {
      await close();
      throw error;
    },
  );
  return {
    name,
    url: sample.baseUrl,
    settings,
    definition,
    routes,
    async close() {
      await closeServer(server);
      await close();
    },
  };
}
