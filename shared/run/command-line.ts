import { EmulatorOptionsError } from '../../emulator/index.ts';
import { ConfigurationError } from '../config/settings.ts';
import { StartupError } from '../errors.ts';
import type { Logger } from './emulator-link.ts';

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
