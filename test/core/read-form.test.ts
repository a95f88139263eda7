/**
 * `shared/core/read-form.ts`, in a Koa app of its own: what the identity platform posts (a
 * form_post sign-in response, a front-channel POST) and what a query says, as plain records. The
 * first value of a repeated field; a field named like `Object`'s own properties is just a field; a
 * body that is not a form is nothing; one over 64 KB is refused with 413.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import Koa from 'koa';
import { queryParams, readForm } from '../../shared/core/read-form.ts';
import { serve } from './harness.ts';

/** An app that answers what `readForm` (POST) or `queryParams` (GET) read, as JSON. */
async function echo(t: TestContext) {
  const koa = new Koa();
  koa.silent = true;
  koa.use(async (ctx) => {
    const read = ctx.method === 'POST' ? await readForm(ctx) : queryParams(ctx);
    ctx.body = { fields: Object.keys(read), ...read };
  });
  const server = await serve(koa.callback());
  t.after(server.close);
  return server.url;
}

const form = (body: string, type = 'application/x-www-form-urlencoded') => ({
  method: 'POST',
  headers: { 'content-type': type },
  body,
});

test('a form and a query: the first value of each field; __proto__ and constructor are fields like any other', async (t) => {
  const url = await echo(t);
  const fields = 'code=c1&state=s%201&code=c2&__proto__=p&constructor=k';
  const expected = {
    fields: ['code', 'state', '__proto__', 'constructor'],
    code: 'c1',
    state: 's 1',
    ['__proto__']: 'p',
    constructor: 'k',
  };
  const posted = await fetch(url, form(fields));
  assert.equal(posted.status, 200);
  assert.deepEqual(JSON.parse(await posted.text()), JSON.parse(JSON.stringify(expected)));
  const queried = await fetch(`${url}/?${fields}`);
  assert.deepEqual(JSON.parse(await queried.text()), JSON.parse(JSON.stringify(expected)));
});

test('a body that is not a form reads as no field; one over 64 KB is refused with 413', async (t) => {
  const url = await echo(t);
  const json = await fetch(url, form('{"code":"c"}', 'application/json'));
  assert.deepEqual(await json.json(), { fields: [] });
  const large = await fetch(url, form(`state=${'x'.repeat(64 * 1024)}`));
  assert.equal(large.status, 413);
  const justUnder = await fetch(url, form(`state=${'x'.repeat(60 * 1024)}`));
  assert.equal(justUnder.status, 200);
});
