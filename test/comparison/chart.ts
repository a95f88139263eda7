/**
 * docs/comparison.svg: the user's tokens left in each app's cache after a local or a global sign-out, one
 * horizontal bar per app, labelled with its name and its cell of the matrix, so that no colour has
 * to be told apart to read it. 360 px wide, as narrow as a phone's screen, and scaled down within
 * a narrower container (its viewBox).
 */
import assert from 'node:assert/strict';
import { cell } from './matrix.ts';
import { type Column, columns, type Matrix, type Scenario, specOf } from './scenarios.ts';

const GROUPS: Scenario[] = ['local', 'another-app', 'browser', 'another-app-2019', 'browser-2019'];

/** Okabe and Ito's palette, told apart with any colour vision. */
const COLORS: Record<Column, string> = {
  aspnetcore: '#0072b2',
  aspnet: '#e69f00',
  java: '#009e73',
  node: '#cc79a7',
  python: '#d55e00',
  'identity-web-today': '#56b4e9',
};

const xmlText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function chart(matrix: Matrix): string {
  const outcome = (scenario: Scenario, column: Column) =>
    matrix[scenario]?.[column] ?? assert.fail(`${scenario}, ${column}: not measured`);
  const [width, top, rowHeight, groupGap, labelRight, barLeft, tokenWidth] = [
    360, 58, 18, 28, 118, 124, 40,
  ];
  const height = top + GROUPS.length * (groupGap + columns.length * rowHeight) + 8;
  const title = "The user's tokens left in each app's cache";
  const desc = GROUPS.map(
    (scenario) =>
      `${specOf(scenario).row}: ${columns
        .map((column) => `${column} ${cell(outcome(scenario, column))}`)
        .join(', ')}.`,
  ).join(' ');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="title desc" font-family="sans-serif" font-size="12">`,
    `<title id="title">${xmlText(title)} after a local or a global sign-out (before any revocation)</title>`,
    `<desc id="desc">Each cell: in or out, the app's session; the tokens left; ✓ the app can still call the API for the user, ✗ it must sign them in again; ↻ it redeemed the refresh token; a pale bar, tokens it can no longer use. ${xmlText(desc)}</desc>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="8" y="20" font-size="14" font-weight="bold">${xmlText(title)}</text>`,
    `<text x="8" y="38" fill="#444">after a local or a global sign-out; pale: tokens it can no longer use</text>`,
  ];
  let y = top;
  for (const scenario of GROUPS) {
    const { row, era } = specOf(scenario);
    const heading = era === '2019' ? `${row.replace(' (2019)', '')}, in a 2019 browser` : row;
    parts.push(`<text x="8" y="${y + 18}" font-weight="bold">after: ${xmlText(heading)}</text>`);
    y += groupGap;
    const bottom = y + columns.length * rowHeight;
    parts.push(`<line x1="${barLeft}" x2="${barLeft}" y1="${y}" y2="${bottom}" stroke="#888"/>`);
    for (const column of columns) {
      const measured = outcome(scenario, column);
      const length = measured.tokensLeft * tokenWidth;
      const middle = y + rowHeight / 2;
      parts.push(
        `<text x="${labelRight}" y="${middle + 4}" text-anchor="end">${column}</text>`,
        `<rect x="${barLeft}" y="${y + 3}" width="${length}" height="${rowHeight - 6}" fill="${COLORS[column]}"${measured.canCallApi ? '' : ' fill-opacity="0.35"'}/>`,
        `<text x="${barLeft + length + 6}" y="${middle + 4}">${xmlText(cell(measured))}</text>`,
      );
      y += rowHeight;
    }
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
