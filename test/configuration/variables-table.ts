/**
 * docs/configuration.md's table of variables, written from their declarations in
 * shared/config/schema.ts: each variable's mode, what its value must be (in the words of the
 * problem a wrong value gets), its default and what it does. `npm run docs:config` (main.ts) puts
 * it in the page, between its markers; test/config-schema.test.ts checks the page holds it.
 */
import { allSamples } from '../../samples/index.ts';
import { expectedValue } from '../../shared/config/environment.ts';
import { type Mode, type Variable, variables } from '../../shared/config/schema.ts';
import type { SampleRegistration } from '../../shared/sample/registration.ts';

/** The table's first and last lines in the page: whatever is between them is written anew. */
export const START =
  '<!-- variables:start: written by `npm run docs:config` from shared/config/schema.ts; edit that, not this table -->';
export const END = '<!-- variables:end -->';

const modes: Record<Mode, string> = { emulator: 'emulator', entra: 'Entra', both: 'both' };

/** The table and the line under it that names the samples, between START and END. */
export function variablesTable(
  registrations: readonly SampleRegistration[] = allSamples.map((sample) => sample.registration),
): string {
  const rows = (variables as readonly Variable[]).map((variable) =>
    [
      `\`${variable.name}\``,
      modes[variable.mode],
      expectedValue(variable),
      defaultOf(variable, registrations),
      variable.description,
    ].map((cell) => cell.replaceAll('|', '\\|')),
  );
  const names = registrations.map((registration) => `\`${registration.name.toUpperCase()}\``);
  return [
    START,
    '',
    '| variable | mode | value | default | meaning |',
    '|---|---|---|---|---|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
    '',
    `\`<SAMPLE>\` is the sample's name in upper case: ${names.join(', ')}.`,
    '',
    END,
  ].join('\n');
}

/** A default as the page says it: the value (on/off for a boolean), each sample's, or in words. */
function defaultOf(variable: Variable, registrations: readonly SampleRegistration[]): string {
  const code = (value: unknown) =>
    `\`${typeof value === 'boolean' ? (value ? 'on' : 'off') : String(value)}\``;
  if (variable.default !== undefined) return code(variable.default);
  const { sampleDefault } = variable;
  if (sampleDefault) {
    return registrations
      .map((registration) => `${registration.name} ${code(sampleDefault(registration))}`)
      .join(', ');
  }
  return variable.defaultText ?? '—';
}

/** `page` with its table of variables replaced by {@link variablesTable}'s. */
export function withVariablesTable(page: string): string {
  const start = page.indexOf('<!-- variables:start');
  const end = page.indexOf(END);
  if (start === -1 || end < start) {
    throw new Error(`the page has no ${START} … ${END} to write the table between`);
  }
  return page.slice(0, start) + variablesTable() + page.slice(end + END.length);
}
