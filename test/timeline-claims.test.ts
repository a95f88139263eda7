/**
 * The timeline tells a claims challenge (Continuous Access Evaluation) and what the sample did:
 * the call made again with a renewed token, or the user sent to sign in with the claims (their
 * tokens dropped). Names and outcomes only: the core's event carries no claims and no token.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emit } from '../shared/core/events.ts';
import { Timeline } from '../shared/timeline/timeline.ts';

test('a claims challenge, renewed or ending in a sign-in, as sentences', (t) => {
  const timeline = new Timeline('timeline-claims');
  t.after(() => timeline.close());
  const user = { homeAccountId: 'uid.utid', username: 'adele@contoso.example', sid: 'a-sid' };
  emit({ type: 'claims-challenge', app: 'timeline-claims', user, outcome: 'renewed' });
  emit({ type: 'claims-challenge', app: 'timeline-claims', user, outcome: 'sign-in-again' });
  emit({ type: 'sign-in-again', app: 'timeline-claims', user, reason: 'refused' });
  emit({ type: 'claims-challenge', app: 'another-app', user, outcome: 'renewed' });
  const events = timeline.all();
  assert.deepEqual(
    events.map(({ kind, user: who, outcome }) => [kind, who, outcome]),
    [
      ['claims-challenge', user.username, undefined],
      ['claims-challenge', user.username, 'removed'],
      ['sign-in-again', user.username, undefined],
    ],
  );
  const [renewed, signIn] = events;
  assert.match(renewed?.text ?? '', /claims challenge .*call made again/);
  assert.match(signIn?.text ?? '', /claims challenge .*sent to sign in with the claims/);
  for (const event of events) {
    assert.ok(!event.text.endsWith('…'), 'told whole');
    assert.ok(!JSON.stringify(event).includes('a-sid'), 'a label of the session, never its sid');
  }
});
