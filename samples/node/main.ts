/** `npm run sample:node`: this sample alone (with the emulator, found or started); `-- --instances 2` on Redis. */
import { runSampleCommand } from '../../shared/run/command-line.ts';
import { allSamples } from '../index.ts';

await runSampleCommand(allSamples, 'node');
