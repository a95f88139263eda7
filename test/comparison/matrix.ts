/**
 * The measured matrix as people read it: one compact table per browser era, scenarios down, apps
 * across, one cell per app and scenario ("in 3 ✓↻"), and the cells that differ from another
 * measure of the same thing marked with †: 2019's from today's, two instances' from one's.
 */
import assert from 'node:assert/strict';
import type { BrowserEra } from '../helpers/browser.ts';
import {
  type Column,
  columns,
  type Matrix,
  type Outcome,
  type Scenario,
  scenarioNames,
  specOf,
} from './scenarios.ts';

/** What a cell says, explained once wherever cells are shown. */
export const NOTATION = [
  "in / out: the app's session still signed in, or signed out;",
  "a number: the user's tokens left (access, refresh, id; node's 4th is the copy of the access",
  'token it keeps in the session), 3→0 when the API call dropped them; ✓: the app can still call',
  'the API for the user, ✗: it must sign them in again; ↻: that call redeemed the refresh token',
  'the app cached before the sign-out. revoked: the user’s sessions revoked after the sign-out,',
  'with 60 s access tokens (1 h: an hour). revoked, disabled, reset, no sign-out: an administrator',
  'acts while the user is signed in everywhere (a critical event); aspnetcore declares cp1 and gets',
  'CAE tokens of 24 h, the others ordinary ones of 1 h; 60m: the API callable for 60 more minutes',
  'with the access token the app holds (its exp, read, not waited for). identity-web-today: the',
  'ASP.NET Core tab’s code today (Microsoft.Identity.Web), measured beside the samples. More:',
  'docs/comparison.md.',
];

/** One cell: `in 3 ✓↻` (kept, and using, the user's tokens), `out 0 ✗` (forgot the user). */
export function cell(outcome: Outcome): string {
  const { tokensLeft: before, tokensLeftAfterApiCall: after } = outcome;
  const tokens = before === after ? `${before}` : `${before}→${after}`;
  const api = `${outcome.canCallApi ? '✓' : '✗'}${outcome.refreshTokenRedeemed ? '↻' : ''}`;
  const until = outcome.apiCallableForMinutes;
  const callable = until === undefined ? '' : ` ${until}m`;
  return `${outcome.signedIn ? 'in' : 'out'} ${tokens} ${api}${callable}`;
}

export const MARK = '†';

const rowsOf = (era: BrowserEra) =>
  scenarioNames.filter((scenario) => specOf(scenario).era === era);

/** The matrices: one per browser era (a local sign-out needs none: it is today's). */
export const eras = [
  { era: 'today', title: 'Today’s browser', rows: rowsOf('today') },
  { era: '2019', title: 'A 2019 browser', rows: rowsOf('2019') },
] as const;

/** The same sign-out in today's browser: what a 2019 row is compared with. */
function todaysOf(scenario: Scenario): Scenario | undefined {
  const { signOut, event } = specOf(scenario);
  return scenarioNames.find(
    (other) =>
      specOf(other).era === 'today' &&
      specOf(other).signOut === signOut &&
      specOf(other).event === event,
  );
}

/** What a cell is compared with, if anything: the same column of another measure. */
export type Reference = (scenario: Scenario, column: Column) => Outcome | undefined;

interface Table {
  header: string[];
  rows: Array<{ label: string; cells: Array<{ text: string; marked: boolean }> }>;
  /**
   * The marked cells, in words, those alike together: "aspnet, local: out 3 ✗ (one instance:
   * out 0 ✗)", "python, another app (2019) and browser (2019): out 0 ✗ (today: in 3 ✓↻)".
   */
  differences: string[];
}

/** `rows` of `matrix`, each cell marked where it differs from `reference` (named `against`). */
export function table(
  matrix: Matrix,
  rows: readonly Scenario[],
  reference: Reference = () => undefined,
  against = '',
): Table {
  // The rows of each marked difference, by column and what the cell says against what.
  const marked = new Map<string, string[]>();
  const lines = rows.flatMap((scenario) => {
    const outcomes = matrix[scenario];
    if (!outcomes) return [];
    const cells = columns.map((column) => {
      const text = cell(outcomes[column] ?? assert.fail(`${scenario}, ${column}: not measured`));
      const other = reference(scenario, column);
      if (other === undefined || cell(other) === text) return { text, marked: false };
      const difference = `${column}|${text} (${against}: ${cell(other)})`;
      marked.set(difference, [...(marked.get(difference) ?? []), specOf(scenario).row]);
      return { text, marked: true };
    });
    return [{ label: specOf(scenario).row, cells }];
  });
  const differences = [...marked].map(([difference, where]) => {
    const [column, says] = difference.split('|');
    return `${column}, ${where.join(' and ')}: ${says}`;
  });
  return { header: ['sign-out', ...columns], rows: lines, differences };
}

/** For a terminal: columns aligned with spaces, a marked cell followed by †. */
export function terminalTable({ header, rows }: Table): string {
  const texts = rows.map(({ label, cells }) => [
    label,
    ...cells.map(({ text, marked }) => (marked ? `${text}${MARK}` : text)),
  ]);
  const widths = header.map((title, index) =>
    Math.max(title.length, ...texts.map((row) => (row[index] ?? '').length)),
  );
  const line = (row: string[]) =>
    row
      .map((text, index) => text.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...texts.map(line)].join('\n');
}

/** For Markdown: a marked cell in bold, followed by †. */
export function markdownTable({ header, rows }: Table): string {
  const row = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    row(header),
    row(header.map(() => '---')),
    ...rows.map(({ label, cells }) =>
      row([label, ...cells.map(({ text, marked }) => (marked ? `**${text}** ${MARK}` : text))]),
    ),
  ].join('\n');
}

/** 2019's rows, compared with today's. */
export const againstToday =
  (matrix: Matrix): Reference =>
  (scenario, column) => {
    const today = specOf(scenario).era === '2019' ? todaysOf(scenario) : undefined;
    return today ? matrix[today]?.[column] : undefined;
  };

/** Two instances' rows, compared with one instance's. */
export const againstOneInstance =
  (one: Matrix): Reference =>
  (scenario, column) =>
    one[scenario]?.[column];

/**
 * What `npm run compare` prints: the one-instance matrix of each era (2019's cells that differ from
 * today's marked), what the cells say, and the cells two instances over Redis changed.
 */
export function terminalSummary(one: Matrix, two: Matrix | undefined): string {
  const lines: string[] = [];
  for (const { era, title, rows } of eras) {
    const note = era === '2019' ? ` (${MARK}: not as in today's browser)` : '';
    const measured = table(one, rows, againstToday(one), 'today');
    lines.push('', `${title}${note}`, terminalTable(measured));
  }
  lines.push('', ...NOTATION, '');
  if (!two) {
    lines.push('Two instances of each over Redis: not measured (redis-server is not installed).');
  } else {
    const differences = eras.flatMap(
      ({ rows }) => table(two, rows, againstOneInstance(one), 'one instance').differences,
    );
    const count = differences.length === 1 ? 'one cell' : `${differences.length} cells`;
    lines.push(
      differences.length === 0
        ? 'Two instances of each over Redis: every cell as with one instance.'
        : `Two instances of each over Redis: as with one instance, but for ${count}:`,
      ...differences.map((difference) => `  ${difference}`),
    );
  }
  return lines.join('\n');
}
