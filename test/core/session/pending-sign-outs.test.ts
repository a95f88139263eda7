/**
 * `shared/core/session/pending-sign-outs.ts`: front-channel sign-outs kept while the store does not
 * answer. (Over HTTP, with a real Redis stopped and started: `sign-out-survives.test.ts`.) Here,
 * what the retries do when the store answers again but one sign-out still fails for a reason of
 * its own: the others are carried out, and the failing one is said, once, and kept.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceUnavailableError } from '../../../shared/core/errors.ts';
import { onCoreEvent } from '../../../shared/core/events.ts';
import { PendingSignOuts } from '../../../shared/core/session/pending-sign-outs.ts';

test('a sign-out that fails otherwise than for want of an answer holds no other back, and is said once', async () => {
  let storeDown = true;
  const done: string[] = [];
  const told: string[] = [];
  const stopListening = onCoreEvent((event) => {
    if (event.app === 'test' && event.type === 'sign-out-pending' && event.sid === 'broken')
      told.push(event.state);
  });
  const pending = new PendingSignOuts(async (sid) => {
    if (storeDown) throw new ServiceUnavailableError('Redis', 'redis://test', 'is not reachable');
    if (sid === 'broken') throw new Error('a bug of its own');
    done.push(sid);
  }, 'test');
  try {
    // Taken while the store does not answer: kept, the oldest first.
    assert.equal(await pending.signOut('broken'), 'waiting');
    assert.equal(await pending.signOut('fine'), 'waiting');
    storeDown = false;
    for (let waited = 0; waited < 40 && done.length === 0; waited++) await sleep(100);
    await sleep(1_200); // one more round of retries
    assert.deepEqual(done, ['fine'], 'carried out, though an older one fails');
    assert.equal(pending.has('fine'), false);
    assert.equal(pending.has('broken'), true, 'the failing one is kept: its sessions get no token');
    assert.deepEqual(told, ['waiting', 'failing'], 'said once');
  } finally {
    pending.close();
    stopListening();
  }
});

test('a failure that is not the store not answering is not kept: the front-channel request fails', async () => {
  const pending = new PendingSignOuts(async () => {
    throw new Error('a bug');
  }, 'test');
  await assert.rejects(pending.signOut('sid-1'), /a bug/);
  assert.equal(pending.has('sid-1'), false);
  pending.close();
});
