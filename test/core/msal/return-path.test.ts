/**
 * `shared/core/msal/return-path.ts`: where a sign-in may send the browser back to. Only a path of
 * this app, judged after the URL parser normalised it (as the browser will read the Location), and
 * short enough to travel in the sign-in's cookie; anything else is `/`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { safeReturnPath } from '../../../shared/core/msal/return-path.ts';

test('local paths are kept, with their query, normalised', () => {
  const kept: Array<[string, string]> = [
    ['/', '/'],
    ['/Home/Profile', '/Home/Profile'],
    ['/me?tab=mail&x=1', '/me?tab=mail&x=1'],
    ['/a/./b/../c', '/a/c'],
    ['/search?q=a b', '/search?q=a%20b'],
    ['/café', '/caf%C3%A9'],
    ['/page#section', '/page'],
    [`/${'a'.repeat(511)}`, `/${'a'.repeat(511)}`], // 512 characters: the most there is room for
    [`/${'é'.repeat(85)}`, `/${'%C3%A9'.repeat(85)}`], // 86 characters, 511 once encoded
  ];
  for (const [value, expected] of kept) assert.equal(safeReturnPath(value), expected, value);
});

test('anything that would leave the app, or is not a path, or is too long, is /', () => {
  const refused = [
    undefined,
    '',
    'relative/path',
    'https://evil.example/',
    'javascript:alert(1)',
    '//evil.example',
    '//evil.example/path',
    '/\\evil.example',
    '\\\\evil.example',
    '/\t/evil.example', // the parser drops tabs: `//evil.example`
    '/x/..//evil.example', // normalised to `//evil.example`
    '/./\\evil.example',
    '//[',
    '/ok?next=\\x', // a backslash anywhere, the query too
    `/${'a'.repeat(512)}`, // 513 characters
    `/${'é'.repeat(86)}`, // 87 characters, 517 once percent-encoded
  ];
  for (const value of refused) assert.equal(safeReturnPath(value), '/', String(value));
});
