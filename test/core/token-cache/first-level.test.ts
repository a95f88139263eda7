/**
 * `shared/core/token-cache/first-level.ts`, driven directly: the access tokens remembered for at
 * most `limit` users, the least recently used going first; only while the partition they came
 * from is the one a request works from; forgotten at a sign-out. (Through `PerUserTokenCache`,
 * with a store beside it: `per-user-token-cache.test.ts`.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FirstLevel } from '../../../shared/core/token-cache/first-level.ts';
import type { RememberedToken } from '../../../shared/core/token-cache/token-cache.ts';

const SCOPES = 'user.read';
const token = (accessToken: string): RememberedToken => ({
  accessToken,
  usableUntil: Date.now() + 3_600_000,
  expiresOn: Date.now() + 3_900_000,
});

/** One request of `user` on `partition` that learns `accessToken` from msal, and is done. */
function learn(level: FirstLevel, user: string, partition: string, accessToken: string): void {
  const access = level.open(user, partition);
  access.tokens.set(SCOPES, token(accessToken));
  access.keep();
}

/** What the next request of `user` on `partition` is given. */
const remembered = (level: FirstLevel, user: string, partition: string) =>
  level.open(user, partition).tokens.get(SCOPES)?.accessToken;

test('at most `limit` users, the least recently used going first; a user with nothing to remember takes no place', () => {
  const level = new FirstLevel(2);
  learn(level, 'a', 'pa', 'at-a');
  learn(level, 'b', 'pb', 'at-b');
  // Using a's remembered token makes a the most recently used: b is now the oldest.
  level.open('a', 'pa').keep();
  learn(level, 'c', 'pc', 'at-c');
  assert.equal(level.size, 2);
  assert.equal(remembered(level, 'b', 'pb'), undefined);
  assert.equal(remembered(level, 'a', 'pa'), 'at-a');
  assert.equal(remembered(level, 'c', 'pc'), 'at-c');

  // A request that learnt nothing (its token forgotten) takes the user out.
  const access = level.open('a', 'pa');
  access.tokens.delete(SCOPES);
  access.keep();
  assert.equal(level.size, 1);
});

test('a token is given only for the partition it came from; a request that wrote the partition forgets what came before, for every request', () => {
  const level = new FirstLevel(10);
  learn(level, 'u', 'p1', 'at-1');
  assert.equal(remembered(level, 'u', 'p2'), undefined, 'another partition: another version');

  const refreshing = level.open('u', 'p1');
  const beside = level.open('u', 'p1');
  assert.equal(beside.tokens.get(SCOPES)?.accessToken, 'at-1', 'shared while unchanged');
  refreshing.written('p2'); // its msal refreshed: p1's tokens are the past
  assert.equal(refreshing.tokens.get(SCOPES), undefined);
  assert.equal(beside.tokens.get(SCOPES), undefined, 'for the request beside it too');
  beside.tokens.set(SCOPES, token('at-stale')); // learnt from p1: not taken
  refreshing.tokens.set(SCOPES, token('at-2'));
  assert.equal(beside.tokens.get(SCOPES), undefined);
  refreshing.keep();
  assert.equal(remembered(level, 'u', 'p2'), 'at-2');
  assert.equal(remembered(level, 'u', 'p1'), undefined);
});

test('`keep` keeps only while the request is on the current partition: a stale request does not make its user recent again', () => {
  const level = new FirstLevel(2);
  learn(level, 'u', 'p1', 'at-1');
  const stale = level.open('u', 'p1');
  const refreshing = level.open('u', 'p1');
  refreshing.written('p2');
  refreshing.tokens.set(SCOPES, token('at-2'));
  learn(level, 'v', 'pv', 'at-v'); // u, then v
  stale.keep(); // were it kept, u would now be the most recent, and v go next
  learn(level, 'w', 'pw', 'at-w');
  assert.equal(remembered(level, 'v', 'pv'), 'at-v');
  assert.equal(remembered(level, 'w', 'pw'), 'at-w');
  assert.equal(remembered(level, 'u', 'p2'), undefined, 'u was the oldest');
});

test('forget: a sign-out, the user remembers nothing', () => {
  const level = new FirstLevel(10);
  learn(level, 'u', 'p', 'at-u');
  learn(level, 'v', 'p', 'at-v');
  level.forget('u');
  assert.equal(level.size, 1);
  assert.equal(remembered(level, 'u', 'p'), undefined);
  assert.equal(remembered(level, 'v', 'p'), 'at-v', 'one partition value, two users: by user');
  level.forget('nobody');
  assert.equal(level.size, 1);
});
