/**
 * One measure of `residue.ts`, in a process of its own (run by it, with --expose-gc):
 *
 *   node --expose-gc --import tsx test/bench/residue-row.ts <sample> <local|global> '<options JSON>'
 *
 * Prints the measured row as JSON on its last line.
 */
import type { SampleName } from '../../samples/index.ts';
import { type ResidueOptions, residueRow } from './residue.ts';

const [sample, signOut, options] = process.argv.slice(2);
const row = await residueRow(
  sample as SampleName,
  signOut === 'global' ? 'global' : 'local',
  JSON.parse(options ?? '{}') as ResidueOptions,
);
process.stdout.write(`${JSON.stringify(row)}\n`);
// node-redis and koa timers may linger; everything this process started is closed.
process.exit(0);
