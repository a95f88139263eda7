/**
 * `npm run docs:config`: writes docs/configuration.md's table of variables from
 * shared/config/schema.ts (variables-table.ts). `npm run docs:config -- FILE` writes it in another
 * copy of the page instead, as test/config-schema.test.ts does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withVariablesTable } from './variables-table.ts';

const page =
  process.argv[2] ?? fileURLToPath(new URL('../../docs/configuration.md', import.meta.url));
const before = readFileSync(page, 'utf8');
const after = withVariablesTable(before);
if (after === before) {
  console.log(`${page}: the table of variables is up to date`);
} else {
  writeFileSync(page, after);
  console.log(`${page}: the table of variables written`);
}
