import assert from 'node:assert/strict';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../emulator/index.ts';
import { samples as definitions, type SampleName } from '../../samples/index.ts';
import { EMULATOR_HOST, type Environment } from '../../shared/config/settings.ts';
import type { Logger } from '../../shared/run/emulator-link.ts';
import { type RunningSample, startProject } from '../../shared/run/orchestrator.ts';
import type { SampleDefinition } from '../../shared/sample/contract.ts';
import type { Inspection } from '../../shared/sample/inspector.ts';
import type { Browser } from './browser.ts';
import { FaultyProxy } from './faulty-proxy.ts';
import { freeConsecutivePorts, freePorts } from './ports.ts';

export interface TestEnvironment {
  /** The emulator started for this environment (its own, on free ports). */
  emulator: RunningEmulator;
  /**
   * Stops the emulator and starts a new one on the same ports, as after a restart: a new signing
   * key, no SSO session, no refresh token it knows. `emulator` is then the new one.
   */
  restartEmulator(): Promise<void>;
  /** The demo users' password. */
  password: string;
  /** The first (or only) sample started. */
  sample: RunningSample;
  /** Each sample's first instance. */
  samples: Partial<Record<SampleName, RunningSample>>;
  /** Each sample's instances, when there are several (`instances`), and each app's of `apps`. */
  instances: Partial<Record<string, RunningSample[]>>;
  close(): Promise<void>;
}

interface EnvironmentOptions {
  /** Variables on top of the free ports chosen here, read by the settings module as a user's would be. */
  env?: Environment;
  /** Emulator options on top of those the settings give (e.g. short-lived access tokens). */
  emulator?: Partial<EmulatorOptions>;
  /** Or any change to them (e.g. another secret for one app). */
  customizeEmulator?: (options: EmulatorOptions) => EmulatorOptions;
  /** Instances of each sample, on ports of their own (several need REDIS_URL in `env`). */
  instances?: number;
  /**
   * Apps that are not samples, started beside them and registered at the emulator as a sample is
   * (the comparison's identity-web-today).
   */
  apps?: readonly SampleDefinition[];
  /** Where the project's messages go (none by default). */
  log?: Logger;
}

/**
 * A real emulator and real samples on free ports, started by the same orchestrator as `npm start`
 * and configured the way a user would (environment variables read by the settings module).
 */
export async function startSamples(
  names: readonly SampleName[],
  options: EnvironmentOptions = {},
): Promise<TestEnvironment> {
  const instances = options.instances ?? 1;
  const apps = options.apps ?? [];
  const run = [...names, ...apps.map((app) => app.registration.name)];
  const [emulatorPort, graphPort, ...samplePorts] = await freePorts(2 + run.length * instances);
  const env: Environment = {
    EMULATOR_PORT: String(emulatorPort),
    GRAPH_PORT: String(graphPort),
    ...Object.fromEntries(
      run.map((name, index) => [
        `${name.toUpperCase()}_PORT`,
        samplePorts.slice(index * instances, (index + 1) * instances).join(','),
      ]),
    ),
    ...options.env,
  };
  let emulatorOptions: EmulatorOptions | undefined;
  const project = await startProject({
    definitions: [...Object.values(definitions), ...apps],
    run,
    env,
    emulator: 'own',
    ...(options.log ? { log: options.log } : {}),
    customizeEmulator: (start) => {
      const customize = options.customizeEmulator ?? ((same) => same);
      // A test that asks for short access tokens wants every client to renew them: aspnetcore's
      // CAE tokens (it declares cp1) too, unless the test sets their lifetime itself.
      const lifetime = options.emulator?.accessTokenLifetimeSeconds;
      const cae = lifetime === undefined ? {} : { caeAccessTokenLifetimeSeconds: lifetime };
      emulatorOptions = customize({ ...start, ...cae, ...options.emulator });
      return emulatorOptions;
    },
  });
  const emulator = project.emulator?.running;
  if (!emulator || !emulatorOptions || !project.settings.emulator) {
    throw new Error('Tests run in emulator mode');
  }
  const samples = Object.fromEntries(
    project.samples
      .filter((sample) => sample.instance.number === 1)
      .map((sample) => [sample.name, sample]),
  );
  const byName = Object.fromEntries(
    run.map((name) => [name, project.samples.filter((sample) => sample.name === name)]),
  );
  const environment: TestEnvironment = {
    emulator,
    async restartEmulator() {
      await environment.emulator.close();
      environment.emulator = await startEmulator(emulatorOptions as EmulatorOptions);
    },
    password: project.settings.emulator.password,
    sample: project.samples[0] as RunningSample,
    samples,
    instances: byName,
    async close() {
      await project.close();
      await environment.emulator.close();
    },
  };
  return environment;
}

export function startEnvironment(
  name: SampleName,
  options: EnvironmentOptions = {},
): Promise<TestEnvironment> {
  return startSamples([name], options);
}

export { freeConsecutivePorts, freePorts };

/** Free ports for the emulator, the Graph-like API, the five samples and the landing page. */
export async function portsEnv() {
  const [emulator, graph, aspnetcore, aspnet, java, node, python, landing] = await freePorts(8);
  return {
    EMULATOR_PORT: String(emulator),
    GRAPH_PORT: String(graph),
    ASPNETCORE_PORT: String(aspnetcore),
    ASPNET_PORT: String(aspnet),
    JAVA_PORT: String(java),
    NODE_PORT: String(node),
    PYTHON_PORT: String(python),
    LANDING_PORT: String(landing),
  };
}

/** The sample's cache inspector, as JSON: its token cache, and how many sessions and `sid`s. */
export async function cacheSummary(sampleUrl: string): Promise<Inspection> {
  const response = await fetch(`${sampleUrl}/cache`, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`/cache answered ${response.status}`);
  return (await response.json()) as Awaited<ReturnType<typeof cacheSummary>>;
}

/** The `sid` of the browser's SSO session at the emulator, which no page shows. */
export async function ssoSid(browser: Browser, emulator: RunningEmulator): Promise<string> {
  const sid = emulator.sidOf(await browser.jar.getCookieString(emulator.identityUrl));
  return sid ?? assert.fail('the browser has no SSO session at the emulator');
}

/**
 * Samples that reach the Graph-like API, or the whole identity platform, through a
 * {@link FaultyProxy} the test controls (the emulator says its URL is the proxy's).
 */
export async function startBehindProxy(
  names: readonly SampleName[],
  behind: 'graph' | 'identity',
  options: EnvironmentOptions = {},
): Promise<{ env: TestEnvironment; proxy: FaultyProxy; close(): Promise<void> }> {
  const [proxyPort, realPort] = (await freePorts(2)) as [number, number];
  // EMULATOR_PORT or GRAPH_PORT is the proxy's: the emulator says its URLs are the proxy's.
  const proxy = new FaultyProxy(proxyPort, `http://127.0.0.1:${realPort}`, EMULATOR_HOST);
  await proxy.start();
  const env = await startSamples(names, {
    ...options,
    env: {
      [behind === 'graph' ? 'GRAPH_PORT' : 'EMULATOR_PORT']: String(proxyPort),
      ...options.env,
    },
    emulator: {
      ...(behind === 'graph' ? { graphPort: realPort } : { port: realPort }),
      ...options.emulator,
    },
  });
  return {
    env,
    proxy,
    async close() {
      await env.close();
      await proxy.stop();
    },
  };
}
