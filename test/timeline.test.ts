/**
 * The timeline, over real HTTP: the samples and the emulator tell what they did as they do it,
 * the landing page merges both (JSON and Server-Sent Events), and its cards say which tokens a
 * sign-out left behind. No event ever carries a token, a code or a sid.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { EmulatorEvent } from '../emulator/index.ts';
import type { Card } from '../samples/landing/card.ts';
import type { LandingEvent } from '../samples/landing/timeline-feed.ts';
import type { Inspection } from '../shared/sample/inspector.ts';
import { Browser } from './helpers/browser.ts';
import { ssoSid, startSamples, type TestEnvironment } from './helpers/environment.ts';
import { type Landing, startLanding } from './helpers/landing.ts';
import { SAMPLE_ROUTES } from './helpers/routes.ts';

const paths = SAMPLE_ROUTES;

async function events(landing: Landing): Promise<LandingEvent[]> {
  const response = await fetch(`${landing.url}/timeline`);
  return ((await response.json()) as { events: LandingEvent[] }).events;
}

/** Waits until the timeline has an event that `matches` (the emulator's arrive a moment late). */
async function eventually(
  landing: Landing,
  matches: (event: LandingEvent) => boolean,
  what: string,
): Promise<LandingEvent> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const found = (await events(landing)).find(matches);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(
    `No event on the timeline: ${what}\n${JSON.stringify(await events(landing), null, 1)}`,
  );
}

async function cards(landing: Landing): Promise<Record<string, Inspection & { card: Card }>> {
  const response = await fetch(`${landing.url}/summaries`);
  return (await response.json()) as Record<string, Inspection & { card: Card }>;
}

/** What a stream sends within its first half second, for a page that last saw `lastEventId`. */
async function firstChunk(url: string, lastEventId: string): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 500);
  const response = await fetch(url, {
    headers: { 'Last-Event-ID': lastEventId },
    signal: controller.signal,
  });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let received = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value;
    }
  } catch {
    // aborted: what came so far is the answer
  }
  clearTimeout(timer);
  return received;
}

/** Nothing that looks like a token, a code or a GUID-shaped sid in what the timeline says. */
function assertNoSecrets(all: LandingEvent[], secrets: string[]): void {
  const text = JSON.stringify(all);
  assert.doesNotMatch(text, /eyJ[\w-]{10,}/, 'no JWT');
  for (const secret of secrets) assert.ok(!text.includes(secret), 'no sid or token value');
}

describe('the timeline: what happened, from the samples and the identity platform', () => {
  let env: TestEnvironment;
  let landing: Landing;
  before(async () => {
    // Access tokens msal never takes from its cache (they expire within its 5-minute margin):
    // every API call redeems the refresh token.
    env = await startSamples(['aspnetcore', 'java', 'python'], {
      emulator: { accessTokenLifetimeSeconds: 120 },
    });
    landing = await startLanding(env);
  });
  after(async () => {
    await landing.close();
    await env.close();
  });

  test('sign-in, refresh, global sign-out: each step told by whoever did it, and the cards say what was left behind', async () => {
    const browser = new Browser();
    const user = env.emulator.users[0]!.userPrincipalName;
    await browser.signIn(env.samples.aspnetcore!.url + paths.aspnetcore.signIn, user, env.password);
    await browser.signIn(env.samples.java!.url + paths.java.signIn);
    assert.equal((await browser.get(env.samples.java!.url + paths.java.api)).status, 200);

    const password = await eventually(
      landing,
      (event) => event.source === 'identity platform' && event.kind === 'signed-in',
      'the password sign-in',
    );
    assert.match(password.text, /signed in with their password: a code for aspnetcore/);
    const [label] = password.sessions ?? [];
    assert.match(label ?? '', /^[\w-]{6}$/);
    const sso = await eventually(
      landing,
      (event) => event.kind === 'sso',
      'the account picker sign-in',
    );
    assert.match(sso.text, /picked their account in the account picker/);
    assert.deepEqual(sso.sessions, [label], 'one SSO session');
    await eventually(
      landing,
      (event) =>
        event.source === 'java' && event.kind === 'signed-in' && /to the session/.test(event.text),
      "java's tokens written to its session",
    );
    const call = await eventually(
      landing,
      (event) => event.source === 'java' && event.kind === 'api-call',
      "java's API call",
    );
    assert.equal(call.token, 'refresh token redeemed');
    await eventually(
      landing,
      (event) => event.kind === 'refreshed' && /java .* redeemed .* refresh token/.test(event.text),
      "the identity platform's side of the refresh",
    );
    const before = await cards(landing);
    assert.equal(before.java!.card.state, 'signed-in');
    assert.equal(before.java!.lastTokenUsed?.token, 'refresh token redeemed');
    assert.equal(before.java!.signedIn[0]?.session, label);

    // Sign out everywhere: the emulator's page, the front-channel frames, each sample's reaction.
    const sid = await ssoSid(browser, env.emulator);
    await browser.post(
      `${env.emulator.identityUrl}/${env.emulator.tenantId}/oauth2/v2.0/logout`,
      {},
    );
    const signedOut = await eventually(
      landing,
      (event) => event.kind === 'signed-out',
      'the sign-out',
    );
    assert.deepEqual(signedOut.sessions, [label]);
    const aspnetcore = await eventually(
      landing,
      (event) => event.source === 'aspnetcore' && event.kind === 'front-channel',
      "aspnetcore's front-channel request",
    );
    assert.equal(aspnetcore.outcome, 'removed');
    assert.match(aspnetcore.text, /no session cookie came with it; answered 200/);
    const java = await eventually(
      landing,
      (event) => event.source === 'java' && event.kind === 'front-channel',
      "java's front-channel request",
    );
    assert.equal(java.outcome, 'left-behind');
    assert.match(java.text, /answered 404 \(no route serves this path\)/);

    const after = await cards(landing);
    assert.equal(after.aspnetcore!.card.state, 'empty');
    assert.equal(after.java!.card.state, 'left-behind');
    assert.equal(after.java!.card.leftBehind[0]?.user, user);
    assert.equal(after.java!.card.leftBehind[0]?.revoked, false);

    // java still calls the API for the user who signed out: the timeline says so, in red.
    assert.equal((await browser.get(env.samples.java!.url + paths.java.api)).status, 200);
    const afterSignOut = await eventually(
      landing,
      (event) =>
        event.source === 'java' && event.kind === 'api-call' && event.outcome === 'left-behind',
      "java's API call after the sign-out",
    );
    assert.match(afterSignOut.text, new RegExp(`after session ${label} signed out`));
    assertNoSecrets(await events(landing), [sid]);
  });

  test('revoked sessions: the refresh token is refused, the sample says so and drops it', async () => {
    const browser = new Browser();
    const user = env.emulator.users[1]!;
    await browser.signIn(
      env.samples.java!.url + paths.java.signIn,
      user.userPrincipalName,
      env.password,
    );
    const revoke = await fetch(
      `${env.emulator.identityUrl}/${env.emulator.tenantId}/users/${user.oid}/revokeSignInSessions`,
      { method: 'POST', headers: { Accept: 'application/json' } },
    );
    assert.equal(revoke.status, 200);
    const revoked = await eventually(
      landing,
      (event) => event.kind === 'revoked' && event.user === user.userPrincipalName,
      'the revocation',
    );
    assert.match(revoked.text, /1 SSO session\(s\) ended/);
    const card = (await cards(landing)).java!.card;
    assert.equal(card.state, 'left-behind');
    assert.equal(
      card.leftBehind.find((each) => each.user === user.userPrincipalName)?.revoked,
      true,
    );

    // The next API call needs the refresh token: refused, and the sample sends the user to sign in.
    const page = await browser.get(env.samples.java!.url + paths.java.api);
    assert.match(page.url, /\/authorize\?/);
    await eventually(
      landing,
      (event) => event.kind === 'refused' && /AADSTS50173/.test(event.text),
      "the identity platform's refusal",
    );
    await eventually(
      landing,
      (event) =>
        event.source === 'java' &&
        event.kind === 'sign-in-again' &&
        /refused the refresh token/.test(event.text),
      "java's reaction",
    );
  });

  test('Server-Sent Events: every event kept, then each new one as it happens', async () => {
    const controller = new AbortController();
    const response = await fetch(`${landing.url}/timeline/stream`, { signal: controller.signal });
    assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    const kept = (await events(landing)).length;
    while ((received.match(/^data: /gm) ?? []).length < kept)
      received += (await reader.read()).value;
    // Something new: a sign-in started at aspnetcore.
    await new Browser().get(env.samples.aspnetcore!.url + paths.aspnetcore.signIn);
    while (!/"kind":"sign-in-started"[^\n]*\n\n$/.test(received))
      received += (await reader.read()).value;
    const ids = [...received.matchAll(/^id: (\w+)-(\d+)$/gm)].map((match) => Number(match[2]));
    assert.ok(ids.length > kept);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      'in the order they came',
    );
    controller.abort();

    // A page that reconnects resumes after the last id it saw; one from another landing page
    // (restarted since) is told to start again.
    const lastId = [...received.matchAll(/^id: (\S+)$/gm)].at(-1)?.[1] ?? '';
    const resumed = await firstChunk(`${landing.url}/timeline/stream`, lastId);
    assert.doesNotMatch(resumed, /^data: (?!\{\})/m, 'nothing sent again');
    const elsewhere = await firstChunk(`${landing.url}/timeline/stream`, 'deadbeef-3');
    assert.match(elsewhere, /^event: reset$/m);
  });

  test("the emulator's events: JSON after a sequence number, waiting for the next one", async () => {
    const url = `${env.emulator.identityUrl}/events`;
    const all = (await (await fetch(url)).json()) as { log: string; events: EmulatorEvent[] };
    const last = all.events.at(-1)?.seq ?? 0;
    const waiting = fetch(`${url}?after=${last}&wait=5000`).then((response) => response.json());
    await new Browser().signIn(
      env.samples.aspnetcore!.url + paths.aspnetcore.signIn,
      env.emulator.users[2]!.userPrincipalName,
      env.password,
    );
    const next = (await waiting) as { log: string; events: EmulatorEvent[] };
    assert.equal(next.log, all.log);
    assert.equal(next.events[0]?.seq, last + 1);
    assert.equal(next.events[0]?.kind, 'signed-in');
    const none = await fetch(`${url}?after=${last + 1000}&wait=1`).then((response) =>
      response.json(),
    );
    assert.deepEqual((none as { events: unknown[] }).events, []);
  });

  test('an emulator that restarts: the timeline reads its new events from the start', async () => {
    const before = (await events(landing)).length;
    await env.restartEmulator();
    await new Browser().signIn(
      env.samples.aspnetcore!.url + paths.aspnetcore.signIn,
      env.emulator.users[0]!.userPrincipalName,
      env.password,
    );
    // The feed waits a moment after the old emulator went away, then asks the new one.
    for (let attempt = 0; attempt < 100; attempt++) {
      const now = await events(landing);
      const fresh = now.slice(before).filter((event) => event.source === 'identity platform');
      if (fresh.some((event) => event.kind === 'tokens-issued')) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail("The new emulator's events never reached the timeline");
  });

  test('an emulator that restarts: a sample signed in before says so, with no tokens, and why', async () => {
    const startedAt = Date.now();
    const browser = new Browser();
    const user = env.emulator.users[1]!.userPrincipalName;
    await browser.signIn(env.samples.python!.url + paths.python.signIn, user, env.password);
    await env.restartEmulator();
    const restarted = await eventually(
      landing,
      (event) =>
        event.source === 'identity platform' && event.kind === 'restarted' && event.at >= startedAt,
      'the restart, told',
    );
    assert.match(restarted.text, /knows none of the sessions/);
    // The refresh token is refused by the new emulator: python drops the tokens, its session stays.
    const page = await browser.get(env.samples.python!.url + paths.python.api);
    assert.match(page.url, /\/login$/, 'sent to sign in again');
    await eventually(
      landing,
      (event) => event.source === 'python' && event.kind === 'sign-in-again' && event.user === user,
      "python's tokens dropped",
    );
    await eventually(
      landing,
      (event) =>
        event.source === 'identity platform' &&
        event.kind === 'refused' &&
        event.at >= restarted.at &&
        /^python .*refresh_token request refused/.test(event.text),
      "the new emulator's refusal of the refresh token",
    );
    const python = (await cards(landing)).python!;
    assert.ok(
      python.signedIn.some((each) => each.user === user),
      'still signed in',
    );
    assert.equal(python.card.state, 'signed-in-without-tokens', 'never "nobody is signed in"');
    const without = python.card.withoutTokens.find((each) => each.user === user);
    assert.match(without?.why ?? '', /restarted since/);
    assert.ok((without?.at ?? 0) >= restarted.at);
  });

  test("python in a 2019 browser: the cookie comes into the frame, and python's sign-out shows green", async () => {
    const browser = new Browser('2019');
    const user = env.emulator.users[2]!.userPrincipalName;
    await browser.signIn(env.samples.python!.url + paths.python.signIn, user, env.password);
    await signOutEverywhere(browser, env.emulator);
    const python = await eventually(
      landing,
      (event) =>
        event.source === 'python' &&
        event.kind === 'front-channel' &&
        event.text.includes(`the session cookie came with it (${user})`),
      "python's front-channel request, with its cookie",
    );
    assert.equal(python.outcome, 'removed');
    assert.match(python.text, /No session of that sid is left here/);
  });

  test('aspnetcore, two browsers signing out one after the other: the second finds nothing left, never red', async () => {
    const user = env.emulator.users[0]!.userPrincipalName;
    const browsers = [new Browser(), new Browser()];
    for (const browser of browsers) {
      await browser.signIn(
        env.samples.aspnetcore!.url + paths.aspnetcore.signIn,
        user,
        env.password,
      );
    }
    const before = (await events(landing)).length;
    for (const browser of browsers)
      await browser.get(env.samples.aspnetcore!.url + paths.aspnetcore.signOut);
    const local = () =>
      events(landing).then((all) =>
        all
          .slice(before)
          .filter((event) => event.source === 'aspnetcore' && event.kind === 'local-sign-out'),
      );
    for (let attempt = 0; attempt < 50 && (await local()).length < 2; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(
      (await local()).map((event) => event.outcome),
      ['removed', 'removed'],
    );
  });

  test('java, two browsers, one signs out everywhere: the card shows the tokens that session left behind', async () => {
    const user = env.emulator.users[1]!.userPrincipalName;
    const [leaving, staying] = [new Browser(), new Browser()];
    for (const browser of [leaving, staying]) {
      await browser.signIn(env.samples.java!.url + paths.java.signIn, user, env.password);
    }
    await signOutEverywhere(leaving!, env.emulator);
    await eventually(
      landing,
      (event) => event.source === 'java' && event.kind === 'front-channel',
      "java's front-channel request",
    );
    const { card } = (await cards(landing)).java!;
    assert.equal(card.state, 'left-behind');
    assert.ok(card.leftBehind.some((each) => each.user === user));
  });

  test("the emulator's event readers are bounded, and one that goes away frees its place", async () => {
    const url = `${env.emulator.identityUrl}/events?after=1000000000&wait=20000`;
    const readers = Array.from({ length: 100 }, () => new AbortController());
    const waiting = readers.map((reader) => fetch(url, { signal: reader.signal }).catch(() => {}));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await fetch(url);
    assert.equal(refused.status, 503);
    for (const reader of readers) reader.abort();
    await Promise.all(waiting);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const accepted = await fetch(url.replace('wait=20000', 'wait=50'));
    assert.equal(accepted.status, 200);
  });

  test('nothing that looks like a token, a code or a sid, anywhere the timeline and the cards are served', async () => {
    const served = [
      await (await fetch(`${landing.url}/timeline`)).text(),
      await (await fetch(`${landing.url}/summaries`)).text(),
      await (await fetch(`${env.emulator.identityUrl}/events`)).text(),
      ...(await Promise.all(
        Object.values(env.samples).map(async (sample) =>
          (await fetch(`${sample!.url}/cache`, { headers: { Accept: 'application/json' } })).text(),
        ),
      )),
    ].join('\n');
    assert.doesNotMatch(served, /eyJ[\w-]{10,}/, 'no JWT');
    // Codes and refresh tokens are long random base64url; ids are GUIDs (hex), labels 6 characters.
    const long = (served.match(/[\w-]{32,}/g) ?? []).filter((each) => !/^[0-9a-f-]+$/.test(each));
    assert.deepEqual(long, [], 'no code or refresh token');
    assert.doesNotMatch(served, /"sid"/, 'no sid field');
  });
});

/** "Sign out everywhere" on the emulator's page, in this browser. */
async function signOutEverywhere(
  browser: Browser,
  emulator: { identityUrl: string; tenantId: string },
): Promise<void> {
  await browser.post(`${emulator.identityUrl}/${emulator.tenantId}/oauth2/v2.0/logout`, {});
}
