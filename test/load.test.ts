/**
 * A small load run (test/load/load.ts; `npm run load` runs a larger one): users at once through
 * sign-in, API calls, sign-in again and sign-out on aspnetcore, with a flood of front-channel
 * requests for random `sid`s. Nothing that must never happen happens, and nothing is left.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatReport, runLoad } from './load/load.ts';

test('10 users × 2 rounds and 300 random front-channel requests: no error, nobody wrongly signed out, nothing left', async () => {
  const report = await runLoad({ users: 10, rounds: 2, apiCalls: 2, frontChannelFlood: 300 });
  console.log(formatReport(report));
  assert.deepEqual(report.errors, []);
  assert.equal(report.wronglySignedOut, 0);
  assert.equal(report.crossUserPages, 0);
  assert.deepEqual(report.left, { accounts: 0, tokens: 0, sessions: 0, sids: 0 });
  assert.deepEqual([report.emulator.flows, report.emulator.ssoSessions], [0, 0]);
  assert.equal(report.latency['sign-in']?.count, 20);
  assert.equal(report.latency['front-channel (random sid)']?.count, 300);
});
