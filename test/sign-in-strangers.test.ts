/**
 * What a stranger's made-up sign-in responses leave in a sample: nothing, however many. Each is
 * refused (no sign-in of this browser has its state), and nothing of it is kept, not even in a
 * library's caches: `ctx.cookies.get` keeps a regular expression for every cookie name it is ever
 * asked for, and the sign-in once read a cookie by a name made from the response's `state`.
 * The sample runs in this process, alone in this file, so that its heap is measured.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startEnvironment, type TestEnvironment } from './helpers/environment.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

let env: TestEnvironment;
before(async () => {
  env = await startEnvironment('aspnetcore');
});
after(() => env.close());

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** The heap once what is only waiting for a collection (closed connections, their timers) went. */
const heap = async () => {
  for (let round = 0; round < 5; round++) {
    gc();
    await sleep(20);
  }
  return process.memoryUsage().heapUsed;
};

/** A made-up response to the redirect URI, with a cookie named as its state's would be. */
const madeUp = async () => {
  const state = randomBytes(32).toString('base64url');
  const response = await fetch(env.sample.url + SAMPLE_ROUTES.aspnetcore.redirect, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: `aspnetcore.signin.${state.slice(0, 16)}=x`,
    },
    body: new URLSearchParams({ state, code: 'made-up' }).toString(),
  });
  await response.body?.cancel();
  assert.equal(response.status, 400);
};

test('10,000 made-up sign-in responses are refused, and leave the heap as it was', async () => {
  const batches = async (count: number) => {
    for (let batch = 0; batch < count; batch++) {
      await Promise.all(Array.from({ length: 10 }, madeUp));
    }
  };
  await batches(100); // the first requests' code and caches, not what is measured
  const start = await heap();
  await batches(1_000);
  const grown = (await heap()) - start;
  // What they would keep at about a kilobyte each is some ten megabytes.
  assert.ok(grown < 5_000_000, `10,000 made-up responses grew the heap by ${grown} bytes`);
});
