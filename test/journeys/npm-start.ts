/** `npm start` as a person runs it (in a child process), on free ports, for the browser journeys. */
import type { SampleName } from '../../samples/index.ts';
import { Command } from '../helpers/command.ts';
import { portsEnv } from '../helpers/environment.ts';

export interface StartedProject {
  landingUrl: string;
  emulatorUrl: string;
  sampleUrls: Record<SampleName, string>;
  /** A demo user, and the emulator's password (its documented default). */
  user: string;
  password: string;
  stop(): Promise<void>;
}

export async function npmStart(env: Record<string, string> = {}): Promise<StartedProject> {
  const ports = await portsEnv();
  const command = new Command('npm start', { ...ports, ...env });
  try {
    await command.waitFor(/Open http:\/\/localhost:\d+/, 60_000);
  } catch (error) {
    command.kill();
    throw error;
  }
  return {
    landingUrl: `http://localhost:${ports.LANDING_PORT}`,
    emulatorUrl: `http://127.0.0.1:${ports.EMULATOR_PORT}`,
    sampleUrls: {
      aspnetcore: `http://localhost:${ports.ASPNETCORE_PORT}`,
      aspnet: `http://localhost:${ports.ASPNET_PORT}`,
      java: `http://localhost:${ports.JAVA_PORT}`,
      node: `http://localhost:${ports.NODE_PORT}`,
      python: `http://localhost:${ports.PYTHON_PORT}`,
    },
    user: 'AdeleV@contoso.onmicrosoft.com',
    password: 'Passw0rd!',
    async stop() {
      if (!(await command.interrupt())) command.kill();
    },
  };
}
