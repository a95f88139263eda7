import { createServer } from 'node:net';
import type { SampleName } from '../../shared/app-registrations.ts';
import { type Environment, loadSettings, type Settings } from '../../shared/config/settings.ts';
import { emulatorOptions } from '../../shared/emulator/ensure-running.ts';
import {
  type EmulatorOptions,
  type RunningEmulator,
  startEmulator,
} from '../../shared/emulator/index.ts';
import { type RunningSample, startSample } from '../../shared/web/run-sample.ts';
import type { SampleFactory } from '../../shared/web/sample-app.ts';

export interface TestEnvironment {
  emulator: RunningEmulator;
  sample: RunningSample;
  settings: Settings;
  close(): Promise<void>;
}

/**
 * A real emulator and a real sample on free ports, configured the way a user would (through
 * environment variables read by the settings module).
 */
export async function startEnvironment(
  name: SampleName,
  createSample: SampleFactory,
  options: {
    env?: Environment;
    emulator?: Partial<EmulatorOptions>;
    /** Changes applied to the sample's settings after loading (e.g. a wrong client secret). */
    adjust?: (settings: Settings) => void;
  } = {},
): Promise<TestEnvironment> {
  const [emulatorPort, graphPort, samplePort] = await freePorts(3);
  const env: Environment = {
    EMULATOR_PORT: String(emulatorPort),
    GRAPH_PORT: String(graphPort),
    [`${name.toUpperCase()}_PORT`]: String(samplePort),
    ...options.env,
  };
  const settings = loadSettings(name, env);
  if (!settings.emulator) throw new Error('Tests run in emulator mode');
  const emulator = await startEmulator({
    ...emulatorOptions(settings.emulator),
    ...options.emulator,
  });
  options.adjust?.(settings);
  const sample = await startSample(settings, createSample);
  return {
    emulator,
    sample,
    settings,
    async close() {
      await sample.close();
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
export async function cacheSummary(sampleUrl: string) {
  const response = await fetch(`${sampleUrl}/cache`, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`/cache answered ${response.status}`);
  return (await response.json()) as {
    accounts: Array<{ homeAccountId: string; username: string }>;
    accessTokens: number;
    refreshTokens: number;
    idTokens: number;
  };
}
