/**
 * The five samples in this process, the emulator in a process of its own (as `npm run emulator`),
 * as in production the identity platform and Graph are elsewhere: what the benchmark measures in
 * this process (its heap, its event loop) is the samples'.
 */
import { samples as definitions, sampleNames } from '../../samples/index.ts';
import { type RunningProject, startProject } from '../../shared/run/orchestrator.ts';
import { Command } from '../helpers/command.ts';
import { freePorts } from '../helpers/environment.ts';

export interface SamplesApart {
  project: RunningProject;
  identityUrl: string;
  password: string;
  close(): Promise<void>;
}

export async function startSamplesApart(env: Record<string, string> = {}): Promise<SamplesApart> {
  const [emulatorPort, graphPort, ...samplePorts] = await freePorts(2 + sampleNames.length);
  const all: Record<string, string> = {
    ...env,
    EMULATOR_PORT: String(emulatorPort),
    GRAPH_PORT: String(graphPort),
    ...Object.fromEntries(
      sampleNames.map((name, index) => [`${name.toUpperCase()}_PORT`, String(samplePorts[index])]),
    ),
  };
  // `npm run emulator` without npm: one process, in the benchmark's group, so that killing the
  // benchmark kills it too.
  const emulator = new Command('node --import tsx samples/main.ts --emulator-only', all, {
    ownGroup: false,
  });
  try {
    await emulator.waitFor(/Identity platform emulator: http/);
    const project = await startProject({
      definitions: Object.values(definitions),
      env: all,
      emulator: 'shared',
    });
    const settings = project.settings.emulator;
    if (!settings) throw new Error('The samples run without the emulator');
    return {
      project,
      identityUrl: settings.identityUrl,
      password: settings.password,
      close: async () => {
        try {
          await project.close();
        } finally {
          await emulator.interrupt().catch(() => emulator.kill());
        }
      },
    };
  } catch (error) {
    await emulator.interrupt().catch(() => emulator.kill());
    throw error;
  }
}
