/**
 * Two instances of aspnetcore on one Redis primary with a replica (no cluster), end to end through
 * the pages. They reach Redis through an address that moves (a TCP forwarder here; a DNS name or a
 * virtual IP in a deployment): `REDIS_URL` never changes. A sign-out is said done only once the
 * replica has it. With the replica frozen and cut off, a sign-out answers a 503 page, every time it
 * is tried. Then the primary dies, the replica is promoted by hand (`REPLICAOF NO ONE`) and the
 * address moved to it: every sign-out said done before is still in force; the one that got 503s
 * was indeed lost (that user is signed in again), and done again now, it holds.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { Browser } from './helpers/browser.ts';
import { startSamples } from './helpers/environment.ts';
import { startPrimaryWithReplica, until } from './helpers/redis-cluster.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const routes = SAMPLE_ROUTES.aspnetcore;

/**
 * A TCP forwarder to `127.0.0.1:<port>`: what a name or address that an operator moves to the new
 * primary does. `moveTo` sends new connections elsewhere and cuts the old ones.
 */
async function movableAddress(t: TestContext, port: number) {
  let target = port;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('error', () => {}).on('close', () => open.delete(socket));
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const socket of open) socket.destroy();
    server.close();
  });
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    moveTo(port: number) {
      target = port;
      for (const socket of open) socket.destroy();
    },
  };
}

test('a sign-out no replica acknowledged is a 503 and is lost by the failover that follows; every sign-out said done holds', async (t) => {
  const redis = await startPrimaryWithReplica(t);
  if (!redis) return;
  const address = await movableAddress(t, redis.primaryPort);
  const env = await startSamples(['aspnetcore'], {
    instances: 2,
    env: { REDIS_URL: address.url, REDIS_ENCRYPTION_KEY: randomBytes(32).toString('base64url') },
  });
  t.after(() => env.close());
  const at = (instance: 0 | 1, path = '/') => `${env.instances.aspnetcore![instance]!.url}${path}`;
  const signedInAs = async (browser: Browser, instance: 0 | 1) =>
    /id="signed-in-user">([^<]+)</.exec((await browser.get(at(instance))).html)?.[1];
  /** The API page: 200, or 302 to sign in again. */
  const api = async (browser: Browser, instance: 0 | 1) => {
    const response = await browser.request(at(instance, routes.api));
    await response.body?.cancel();
    return response.status;
  };
  /** The local sign-out on A: its status (302 to the identity platform: said done). */
  const signOut = async (browser: Browser) => {
    const response = await browser.request(at(0, routes.signOut));
    await response.body?.cancel();
    return response.status;
  };

  const [adele, alex] = env.emulator.users.map((user) => user.userPrincipalName);
  assert.ok(adele && alex);
  const browsers = { adele: new Browser(), alex: new Browser() };
  // Signed in (again, as a person would, if a busy machine kept the replica's acknowledgement past
  // the 500 ms WAIT: a 503), and B uses the tokens.
  for (const [name, browser] of [
    [adele, browsers.adele],
    [alex, browsers.alex],
  ] as const) {
    await until(`${name} signed in`, async () => {
      await browser.signIn(at(0, routes.signIn), name, env.password);
      return (await api(browser, 1)) === 200 || undefined;
    });
  }

  // Adele signs out: said done, so on the replica (again past a 503, as for the sign-ins).
  const adeles = await until('Adele signed out', async () => {
    const status = await signOut(browsers.adele);
    return status === 503 ? undefined : status;
  });
  assert.equal(adeles, 302);
  // Everything so far on the replica (its offset the primary's), then the replica frozen and
  // cut off.
  await until('the replica has caught up', async () => {
    const info = await redis.cli(redis.primaryPort, 'INFO', 'replication');
    const offset = /master_repl_offset:(\d+)/.exec(info)?.[1];
    return info.includes(`port=${redis.replicaPort},state=online,offset=${offset},`) || undefined;
  });
  redis.pauseReplica();
  try {
    await redis.cli(redis.primaryPort, 'CLIENT', 'KILL', 'TYPE', 'replica');
    // Alex signs out: no replica acknowledges it, a 503 page; tried again, the same.
    assert.equal(await signOut(browsers.alex), 503);
    assert.equal(await signOut(browsers.alex), 503, 'tried again: still not said done');
    // The primary dies; the replica, resumed, is promoted; the address moves to it.
    await redis.killPrimary();
  } finally {
    redis.resumeReplica();
  }
  await redis.promoteReplica();
  address.moveTo(redis.replicaPort);

  // Alex's sign-out never reached the replica: he is signed in again, on both instances.
  for (const instance of [0, 1] as const) {
    const status = await until(`instance ${instance + 1} answers again`, async () => {
      const answer = await api(browsers.alex, instance);
      return answer === 503 ? undefined : answer;
    });
    assert.equal(status, 200, `instance ${instance + 1} uses Alex's tokens again`);
  }
  // Adele's, said done, holds on both.
  for (const instance of [0, 1] as const) {
    assert.equal(await signedInAs(browsers.adele, instance), undefined);
    assert.equal(await api(browsers.adele, instance), 302);
  }
  // Alex signs out again: the new primary has no replica, nothing to wait for; it holds. (Tried
  // until not 503: the instance's connection for removals reconnects on its own schedule.)
  const again = await until('the sign-out answered', async () => {
    const status = await signOut(browsers.alex);
    return status === 503 ? undefined : status;
  });
  assert.equal(again, 302);
  for (const instance of [0, 1] as const) {
    assert.equal(await signedInAs(browsers.alex, instance), undefined);
    assert.equal(await api(browsers.alex, instance), 302);
  }
});
