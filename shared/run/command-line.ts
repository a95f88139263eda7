import { EmulatorOptionsError } from '../../emulator/index.ts';
import { ConfigurationError } from '../config/settings.ts';
import { StartupError } from '../core/errors.ts';
import type { SampleDefinition } from '../sample/contract.ts';
import type { Logger } from './emulator-link.ts';
import { startProject } from './orchestrator.ts';

/** Prints to the terminal; warnings stand out, on stderr. */
export const terminal: Logger = {
  info: (message) => console.log(message),
  warn: (message) => console.error(`\n!! ${message}\n`),
};

/**
 * Runs a command that starts servers (`npm start`, `npm run sample:<name>`, `npm run emulator`):
 * a problem a person can fix is printed in one message and the command exits with 1; Ctrl-C or
 * SIGTERM stops everything it started, says "Stopped." and exits with 0. A Ctrl-C while it is
 * still starting (waiting for another terminal's emulator, say) exits at once (130, or 143 for
 * SIGTERM, as a shell reports them).
 */
export async function runCommand(
  start: (log: Logger) => Promise<{ close(): Promise<void> }>,
): Promise<void> {
  let running: { close(): Promise<void> } | undefined;
  const stop = async (signal: NodeJS.Signals) => {
    if (!running) {
      console.log('\nStopped while starting.');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    try {
      await running.close();
      console.log('\nStopped.');
      process.exit(0);
    } catch (error) {
      console.error(error);
      process.exit(1);
    }
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    running = await start(terminal);
  } catch (error) {
    const known =
      error instanceof ConfigurationError ||
      error instanceof StartupError ||
      error instanceof EmulatorOptionsError;
    console.error(known ? (error as Error).message : error);
    process.exit(1);
  }
}

/**
 * `npm run sample:<name> [-- --instances N]`: one sample, with the emulator (found or started).
 * Several instances listen on consecutive ports and share one Redis (REDIS_URL).
 */
export function runSampleCommand(
  definitions: readonly SampleDefinition[],
  name: string,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  return runCommand(async (log) =>
    startProject({
      definitions,
      run: [name],
      emulator: 'shared',
      log,
      instances: { [name]: instancesArgument(argv) },
    }),
  );
}

/** `--instances N` (or `--instances=N`), 1 to 8; anything else on the command line is a mistake. */
export function instancesArgument(argv: readonly string[]): number {
  let value = '1';
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index] as string;
    if (argument === '--instances' && index + 1 < argv.length) value = argv[++index] as string;
    else if (argument.startsWith('--instances=')) value = argument.slice('--instances='.length);
    else
      throw new ConfigurationError([
        `Unknown argument "${argument}": the only one is --instances N`,
      ]);
  }
  const instances = Number(value);
  if (!Number.isInteger(instances) || instances < 1 || instances > 8) {
    throw new ConfigurationError([
      `--instances must be a whole number from 1 to 8 (got "${value}")`,
    ]);
  }
  return instances;
}
