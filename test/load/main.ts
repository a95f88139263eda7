/**
 * `npm run load`: the load run of test/load/load.ts, on loopback only; it stops by itself.
 *
 *   npm run load -- --users 100 --rounds 3 --api-calls 3 --flood 2000
 *
 * Exits with 1 if anything that must never happen happened (an error, a user signed out by
 * someone else, a page showing another user, anything left once everyone has signed out).
 */
import { parseArgs } from 'node:util';
import { formatReport, runLoad } from './load.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    'api-calls': { type: 'string', default: '3' },
    flood: { type: 'string', default: '2000' },
  },
});
const number = (name: keyof typeof values, max: number) => {
  const value = Number(values[name]);
  if (!Number.isInteger(value) || value < 0 || value > max) {
    console.error(`--${name} must be a whole number from 0 to ${max} (got "${values[name]}")`);
    process.exit(2);
  }
  return value;
};
const options = {
  users: number('users', 5_000),
  rounds: number('rounds', 100),
  apiCalls: number('api-calls', 100),
  frontChannelFlood: number('flood', 1_000_000),
};

console.log(`Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
const report = await runLoad(options);
console.log(formatReport(report));
const left = Object.values(report.left).some((count) => count > 0);
const bad = report.errors.length + report.wronglySignedOut + report.crossUserPages > 0 || left;
process.exit(bad ? 1 : 0);
