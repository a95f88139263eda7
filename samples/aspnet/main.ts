/** `npm run sample:aspnet`: this sample alone (with the emulator, found or started). */
import { runCommand } from '../../shared/run/command-line.ts';
import { startProject } from '../../shared/run/orchestrator.ts';
import { allSamples } from '../index.ts';

await runCommand((log) =>
  startProject({ definitions: allSamples, run: ['aspnet'], emulator: 'shared', log }),
);
