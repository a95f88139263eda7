/**
 * What a stranger can make the emulator do: plant a session in someone else's browser (login
 * CSRF), or make it keep state without end. Neither.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Browser } from '../helpers/browser.ts';
import {
  adele,
  authorizeUrl,
  emulator,
  endpoint,
  inputs,
  PASSWORD,
  useEmulator,
  WEB,
} from './helper.ts';

useEmulator();

test('a sign-in form posted from another browser is refused: no session planted (login CSRF)', async () => {
  // The attacker starts a sign-in in their own browser and takes its flow token...
  const attacker = new Browser();
  const { flowToken = '' } = inputs(await (await attacker.request(authorizeUrl(WEB))).text());
  // ...then makes the victim's browser post the form, with the attacker's account.
  const victim = new Browser();
  const response = await victim.requestForm(endpoint('/login'), {
    flowToken,
    login: adele().userPrincipalName,
    passwd: PASSWORD,
  });
  assert.equal(response.status, 400);
  assert.match(await response.text(), /AADSTS50089/);
  assert.equal(response.headers.get('location'), null, 'no code for the app');
  assert.doesNotMatch(await victim.jar.getCookieString(emulator().identityUrl), /ESTSAUTH/);
  // The same form from the browser that started it works.
  const own = await attacker.requestForm(endpoint('/login'), {
    flowToken,
    login: adele().userPrincipalName,
    passwd: PASSWORD,
  });
  assert.equal(own.status, 302);
});

test('an authorize request longer than 8 KB is refused before anything is kept', async () => {
  const response = await fetch(authorizeUrl(WEB, { state: 'x'.repeat(9_000) }), {
    redirect: 'manual',
  });
  assert.equal(response.status, 400);
  assert.match(await response.text(), /AADSTS90015/);
});

test('sign-in flows left pending are bounded: at most 2,000 are kept', async () => {
  const browser = new Browser();
  for (let request = 0; request < 2_100; request += 1) {
    const page = await browser.request(authorizeUrl(WEB, { prompt: 'login' }));
    await page.body?.cancel();
  }
  assert.equal(emulator().census().flows, 2_000);
});
