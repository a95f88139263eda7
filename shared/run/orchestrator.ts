import type { EmulatorOptions } from '../../emulator/index.ts';
import {
  type Environment,
  type LoadOptions,
  loadSettings,
  type ProjectSettings,
  readEnvironment,
  type SampleSettings,
  type Settings,
} from '../config/settings.ts';
import { StartupError } from '../core/errors.ts';
import { discoverIdentityProvider, type IdentityProvider } from '../core/msal/identity-provider.ts';
import { EncryptedStore } from '../core/store/encrypted-store.ts';
import { type KeyValueStore, MemoryStore } from '../core/store/key-value-store.ts';
import { persistenceWarning, RedisStore } from '../core/store/redis-store.ts';
import type { SampleDefinition, SampleRoutes } from '../sample/contract.ts';
import { createSampleApp } from '../sample/sample-app.ts';
import { createSampleServices } from '../sample/services.ts';
import type { Timeline } from '../timeline/timeline.ts';
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
  /** Instances per sample (`--instances N`; see `LoadOptions`). */
  instances?: LoadOptions['instances'];
  /** Instances per sample when REDIS_URL is set (`npm start`). */
  instancesWithRedis?: LoadOptions['instancesWithRedis'];
  /** For tests: change the emulator's options before it starts (token lifetimes, a wrong secret). */
  customizeEmulator?: (options: EmulatorOptions) => EmulatorOptions;
  log?: Logger;
}

export interface RunningSample {
  name: string;
  /** Which instance of the sample, of how many. */
  instance: { number: number; of: number };
  /** The sample's public URL, e.g. `http://localhost:3001`. */
  url: string;
  settings: Settings;
  definition: SampleDefinition;
  routes: SampleRoutes;
  /** What the sample did, in order (the landing page's timeline). */
  timeline: Timeline;
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
    {
      landing: options.landing ?? false,
      ...(options.run ? { run: options.run } : {}),
      ...(options.instances ? { instances: options.instances } : {}),
      ...(options.instancesWithRedis ? { instancesWithRedis: options.instancesWithRedis } : {}),
    },
  );
  if (options.emulator === 'own' && !settings.emulator) {
    throw new StartupError(
      'ENTRA_TENANT_ID is set: the samples use Entra ID, and there is no emulator to run. Unset it to run the emulator.',
    );
  }

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
    if (settings.samples.length > 0) {
      const provider = await discoverIdentityProvider(settings.identity);
      for (const sample of settings.samples) {
        const definition = options.definitions.find(
          (candidate) => candidate.registration.name === sample.name,
        );
        if (!definition) throw new Error(`No definition for the sample ${sample.name}`);
        // Redis's persistence told once, however many instances use it: with the first.
        const first = sample === settings.samples[0];
        const store = await openStore(settings, sample, log, { tellPersistence: first });
        const running = await startSample(settings, sample, definition, provider, store);
        closers.push(() => running.close());
        samples.push(running);
        const of = sample.instance.of > 1 ? ` (instance ${sample.instance.number})` : '';
        log.info(`${definition.registration.displayName}${of}: ${running.url}`);
      }
    }
    return { settings, emulator, samples, close };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}

/**
 * Each instance of a sample has a store of its own: in memory (one process, one instance), or a
 * connection to Redis, which every instance of the sample shares, each value encrypted.
 */
async function openStore(
  project: ProjectSettings,
  sample: SampleSettings,
  log: Logger,
  { tellPersistence }: { tellPersistence: boolean },
): Promise<KeyValueStore> {
  if (!project.redis) return new MemoryStore();
  const { url, clusterNodes, timeoutMs, encryptionKeys } = project.redis;
  const options = {
    timeoutMs,
    log: (message: string) => log.warn(`${sample.registration.displayName}: ${message}`),
    // The partitions of the users whose tokens the first level remembers.
    cachedEntries: sample.warmUsers,
  };
  const redis =
    url !== undefined
      ? await RedisStore.connect(url, { ...options, variable: 'REDIS_URL' })
      : await RedisStore.connectCluster(clusterNodes ?? [], {
          ...options,
          variable: 'REDIS_CLUSTER_NODES',
        });
  // Whether a restart of Redis, or a crash of its machine, could undo sign-outs.
  if (tellPersistence) {
    const warning = persistenceWarning(redis.where, await redis.persistence());
    if (warning) log.warn(warning);
  }
  return new EncryptedStore(redis, encryptionKeys);
}

async function startSample(
  project: ProjectSettings,
  sample: SampleSettings,
  definition: SampleDefinition,
  provider: IdentityProvider,
  store: KeyValueStore,
): Promise<RunningSample> {
  const { name } = definition.registration;
  const settings: Settings = { identity: project.identity, sample };
  const { services, close } = createSampleServices(settings, provider, store);
  const landingUrl = project.landingPort ? `http://localhost:${project.landingPort}` : undefined;
  let routes: SampleRoutes | undefined;
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    const created = createSampleApp(services, definition, landingUrl);
    routes = created.routes;
    server = await listen(created.app.callback(), sample.port, `${name.toUpperCase()}_PORT`);
  } catch (error) {
    // Nothing of a sample that could not start stays behind: its timers, its listeners, its stores.
    routes?.close?.();
    await close();
    throw error;
  }
  const started = routes;
  return {
    name,
    instance: sample.instance,
    // Behind one public origin, each instance is still reached at its own port here.
    url: sample.instance.of > 1 ? `http://localhost:${sample.port}` : sample.baseUrl,
    settings,
    definition,
    routes: started,
    timeline: services.timeline,
    async close() {
      await closeServer(server);
      started.close?.();
      await close();
    },
  };
}
