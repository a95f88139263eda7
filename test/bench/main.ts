/**
 * `npm run bench`: the token cache measured side by side, in one run, on this machine; writes
 * docs/performance.md (about half an hour on two cores).
 *
 *   npm run bench                      # every size, 10,000 sign-in/sign-out cycles per sample
 *   npm run bench -- --quick           # the same measures, small (under a minute): prints them
 *   npm run bench -- --out report.md   # writes the report there instead
 *
 * Everything runs on loopback: the emulator, a redis-server of its own (Debian's redis-server
 * must be installed), the samples. Not a test: it fails only if something cannot be measured.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { benchHttp } from './http.ts';
import { benchPropagation } from './propagation.ts';
import { formatReport, machine } from './report.ts';
import { benchResidue } from './residue.ts';
import { benchSilent } from './silent.ts';

const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, out: { type: 'string' } },
});
const quick = values.quick;
const out = values.out ?? (quick ? undefined : 'docs/performance.md');

const options = quick
  ? {
      silent: { sizes: [10, 100], rounds: 3, calls: 50, sharedClientLimitMs: 50 },
      http: { seconds: 0.5, concurrency: 8, rounds: 1 },
      residue: { cycles: 30, concurrency: 8 },
      propagation: { signOuts: 30, rounds: 3, calls: 100, users: 30 },
    }
  : {
      silent: {
        sizes: [10, 1_000, 10_000, 100_000],
        rounds: 5,
        calls: 400,
        sharedClientLimitMs: 50,
      },
      http: { seconds: 3, concurrency: 8, rounds: 5 },
      residue: { cycles: 10_000, concurrency: 8 },
      propagation: { signOuts: 500, rounds: 5, calls: 400, users: 1_000 },
    };

const log = (line: string) => process.stderr.write(`${line}\n`);
const started = performance.now();
const about = await machine();
log(`${about.cpus}; Node ${about.node}; msal-node ${about.msal}; commit ${about.commit}`);
const silent = await benchSilent(options.silent, log);
const http = await benchHttp(options.http, log);
const residue = await benchResidue(options.residue, log);
const propagation = await benchPropagation(options.propagation, log);
const report = formatReport({
  quick,
  about,
  options,
  silent,
  http,
  residue,
  propagation,
  minutes: (performance.now() - started) / 60_000,
});
if (out) {
  writeFileSync(out, report);
  log(`Written to ${out}`);
} else {
  process.stdout.write(report);
}
// The redis-server, the emulator and the samples are closed; node-redis's timers may linger.
process.exit(0);
