import { createServer } from 'node:net';
import type { SampleName } from '../../shared/app-registrations.ts';
import { type Environment, loadSettings, type Settings } from '../../shared/config/settings.ts';
import { emulatorOptions } from '../../shared/emulator/ensure-running.ts';
import {
  type EmulatorOptions,
  type RunningEmulator,
  startEmulator,
} from '../../shared/emulator/index.ts';
import type { TokenCacheSummary } from '../../shared/token-cache/serialized-cache.ts';
import { type RunningSample, startSample } from '../../shared/web/run-sample.ts';
import type { SampleFactory } from '../../shared/web/sample-app.ts';

export interface TestEnvironment {
  emulator: RunningEmulator;
  /** The first (or only) sample started. */
  sample: RunningSample;
  settings: Settings;
  samples: Partial<Record<SampleName, RunningSample>>;
  close(): Promise<void>;
}

interface EnvironmentOptions {
  env?: Environment;
  emulator?: Partial<EmulatorOptions>;
  /** Changes applied to each sample's settings after loading (e.g. a wrong client secret). */
  adjust?: (settings: Settings) => void;
}

/**
 * A real emulator and real samples on free ports, configured the way a user would (through
 * environment variables read by the settings module).
 */
export async function startEnvironment(
  name: SampleName,
  createSample: SampleFactory,
  options: EnvironmentOptions = {},
): Promise<TestEnvironment> {
  return startSamples({ [name]: createSample }, options);
}

export async function startSamples(
  factories: Partial<Record<SampleName, SampleFactory>>,
  options: EnvironmentOptions = {},
): Promise<TestEnvironment> {
  const names = Object.keys(factories) as SampleName[];
  const [emulatorPort, graphPort, ...samplePorts] = await freePorts(2 + names.length);
  const env: Environment = {
    EMULATOR_PORT: String(emulatorPort),
    GRAPH_PORT: String(graphPort),
    ...Object.fromEntries(
      names.map((name, index) => [`${name.toUpperCase()}_PORT`, String(samplePorts[index])]),
    ),
    ...options.env,
  };
  const allSettings = names.map((name) => loadSettings(name, env));
  const emulatorSettings = allSettings[0]?.emulator;
  if (!emulatorSettings) throw new Error('Tests run in emulator mode, with at least one sample');
  const emulator = await startEmulator({
    ...emulatorOptions(emulatorSettings),
    ...options.emulator,
  });
  const samples: TestEnvironment['samples'] = {};
  for (const settings of allSettings) {
    options.adjust?.(settings);
    const factory = factories[settings.sample.name] as SampleFactory;
    samples[settings.sample.name] = await startSample(settings, factory);
  }
  const first = samples[names[0] as SampleName] as RunningSample;
  return {
    emulator,
    sample: first,
    settings: first.settings,
    samples,
    async close() {
      for (const sample of Object.values(samples)) await sample.close();
      await emulator.close();
    },
  };
}

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      const server = createServer();
      return new Promise<typeof server>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve(server)),
      );
    }),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The sample's cache inspector, as JSON. */
export async function cacheSummary(sampleUrl: string): Promise<TokenCacheSummary> {
  const response = await fetch(`${sampleUrl}/cache`, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`/cache answered ${response.status}`);
  return (await response.json()) as TokenCacheSummary;
}
