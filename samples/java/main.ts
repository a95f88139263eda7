/** `npm run sample:java`: this sample alone (with the emulator, found or started). */
import { runCommand } from '../../shared/run/command-line.ts';
import { startProject } from '../../shared/run/orchestrator.ts';
import { allSamples } from '../index.ts';

await runCommand((log) =>
  startProject({ definitions: allSamples, run: ['java'], emulator: 'shared', log }),
);
