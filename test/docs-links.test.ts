/**
 * The documentation's links, checked: README.md, every docs/*.md, every samples/*\/README.md,
 * shared/README.md, shared/core/README.md and emulator/README.md.
 * A relative link leads to a file that exists; a `#L12` or `#L12-L20` anchor names lines the file
 * has; a link whose text quotes code (`like this`) lands on lines that hold that code, so that a
 * link into a sample cannot drift away from what it names; a link to a heading of another
 * Markdown file names a heading it has. Web links (http, https, mailto) and links to a heading of
 * the same page (`#…`) are not checked.
 *
 * The images under docs/images/ are listed apart: `npm run screenshots` makes them.
 *
 * Last, the summary of the comparison in docs/companion.md is checked against the matrices that
 * `npm run compare -- --write` wrote to docs/comparison.md: every row of the summary is a row of
 * them.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const imagesFolder = path.join(root, 'docs', 'images');

/** The pages checked, relative to the repository's root. */
const pages = [
  'README.md',
  'shared/README.md',
  'shared/core/README.md',
  'emulator/README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  ...readdirSync(path.join(root, 'samples'))
    .map((name) => `samples/${name}/README.md`)
    .filter((file) => existsSync(path.join(root, file))),
].sort();

interface Link {
  page: string;
  /** 1-based line of the page the link is on. */
  line: number;
  image: boolean;
  text: string;
  target: string;
}

/** What each problem says: where the link is, and what is wrong with it. */
const where = (link: Link, problem: string) =>
  `${link.page}:${link.line}: [${link.text}](${link.target}): ${problem}`;

const lineAnchor = /^L(\d+)(?:-L(\d+))?$/;

const links = pages.flatMap(linksOf);
const relative = links.filter((link) => !/^(?:[a-z][a-z0-9+.-]*:|#)/i.test(link.target));

/** A relative link, resolved: the file it names (absolute), and its anchor, if any. */
function resolve(link: Link): { file: string; anchor: string | undefined } {
  const hash = link.target.indexOf('#');
  const pathPart = hash === -1 ? link.target : link.target.slice(0, hash);
  const anchor = hash === -1 ? undefined : decodeURIComponent(link.target.slice(hash + 1));
  const file = path.resolve(path.dirname(path.join(root, link.page)), decodeURIComponent(pathPart));
  return { file, anchor };
}

const isScreenshot = (link: Link) =>
  link.image && resolve(link).file.startsWith(imagesFolder + path.sep);

test('the pages checked are there, and have links', () => {
  assert.ok(pages.includes('README.md') && pages.includes('docs/companion.md'), pages.join(', '));
  assert.ok(relative.length > 50, `only ${relative.length} relative links found`);
});

test('every relative link leads to a file or folder that exists', () => {
  const missing = relative
    .filter((link) => !isScreenshot(link) && !existsSync(resolve(link).file))
    .map((link) => where(link, 'no such file'));
  assert.deepEqual(missing, []);
});

test('every image under docs/images/ that the pages show exists (`npm run screenshots`)', () => {
  const missing = relative
    .filter((link) => isScreenshot(link) && !existsSync(resolve(link).file))
    .map((link) => where(link, 'not made yet'));
  assert.deepEqual(missing, []);
});

test('every #Lnn or #Lnn-Lmm anchor names lines the file has', () => {
  const problems: string[] = [];
  for (const link of relative) {
    const { file, anchor } = resolve(link);
    const lines = anchor === undefined ? undefined : lineAnchor.exec(anchor);
    if (!lines || !existsSync(file)) continue;
    if (!statSync(file).isFile()) {
      problems.push(where(link, 'a line anchor on a folder'));
      continue;
    }
    const first = Number(lines[1]);
    const last = Number(lines[2] ?? lines[1]);
    const count = linesOf(file).length;
    if (first < 1 || last < first) problems.push(where(link, `not a range of lines`));
    else if (last > count) problems.push(where(link, `the file has ${count} lines`));
  }
  assert.deepEqual(problems, []);
});

test('a link whose text quotes code lands on lines that hold that code', () => {
  const problems: string[] = [];
  let checked = 0;
  for (const link of relative) {
    const { file, anchor } = resolve(link);
    const lines = anchor === undefined ? undefined : lineAnchor.exec(anchor);
    if (!lines || !existsSync(file) || !statSync(file).isFile()) continue;
    const first = Number(lines[1]);
    const last = Number(lines[2] ?? lines[1]);
    const linked = normalise(
      linesOf(file)
        .slice(first - 1, last)
        .join('\n'),
    );
    for (const snippet of codeIn(link.text)) {
      // A file's own name, as the text of a link into it, is not code to find there.
      if (snippet === path.basename(file) || snippet === link.target.split('#')[0]) continue;
      checked += 1;
      if (!linked.includes(snippet)) {
        problems.push(where(link, `\`${snippet}\` is not on line(s) ${first}-${last}`));
      }
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(checked > 0, 'no link quoting code was found');
});

test('every link to a heading of another Markdown page names a heading it has', () => {
  const problems: string[] = [];
  for (const link of relative) {
    const { file, anchor } = resolve(link);
    if (anchor === undefined || lineAnchor.test(anchor) || !file.endsWith('.md')) continue;
    if (!existsSync(file)) continue;
    if (!headingAnchorsOf(readFileSync(file, 'utf8')).has(anchor)) {
      problems.push(where(link, `no heading #${anchor} there`));
    }
  }
  assert.deepEqual(problems, []);
});

test("docs/companion.md's summary of the comparison is rows of docs/comparison.md", () => {
  const companion = readFileSync(path.join(root, 'docs', 'companion.md'), 'utf8');
  const comparison = readFileSync(path.join(root, 'docs', 'comparison.md'), 'utf8');
  const summary = /<!-- summary:start[^>]*-->([\s\S]*?)<!-- summary:end -->/.exec(companion)?.[1];
  assert.ok(summary, 'docs/companion.md has no <!-- summary:start --> … <!-- summary:end -->');
  // The one-instance matrices (one per browser era): those before the two instances over Redis.
  const measured = tableRows(comparison.split(/^## Two instances/m)[0] ?? '');
  const rows = tableRows(summary);
  assert.deepEqual(rows[0], measured[0], 'the same columns, in the same order');
  assert.ok(rows.length > 2, 'the summary has rows');
  const byLabel = new Map(measured.slice(2).map((cells) => [cells[0], cells]));
  for (const cells of rows.slice(2)) {
    assert.deepEqual(cells, byLabel.get(cells[0] ?? ''), `row "${cells[0]}" of the summary`);
  }
});

/**
 * The links of a page: `[text](target)` and `![alt](target)`, outside code blocks and code spans.
 * Read a paragraph at a time: a link's text may run over two lines.
 */
function linksOf(page: string): Link[] {
  const found: Link[] = [];
  const lines = readFileSync(path.join(root, page), 'utf8').split('\n');
  const link = /(!?)\[((?:[^[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;
  for (const { first, text } of paragraphsOf(lines)) {
    const spans = codeSpans(text);
    for (const match of text.matchAll(link)) {
      const at = match.index;
      if (spans.some(([start, end]) => at > start && at < end)) continue;
      found.push({
        page,
        line: first + (text.slice(0, at).match(/\n/g)?.length ?? 0),
        image: match[1] === '!',
        text: normalise(match[2] ?? ''),
        target: match[3] ?? '',
      });
    }
  }
  return found;
}

/** A page's paragraphs (or table rows, list items…: text between blank lines), without code blocks. */
function paragraphsOf(lines: string[]): Array<{ first: number; text: string }> {
  const paragraphs: Array<{ first: number; text: string }> = [];
  let fence: string | undefined;
  let current: { first: number; lines: string[] } | undefined;
  const end = () => {
    if (current) paragraphs.push({ first: current.first, text: current.lines.join('\n') });
    current = undefined;
  };
  lines.forEach((line, index) => {
    const opening = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (opening?.startsWith(fence)) fence = undefined;
      return;
    }
    if (opening) {
      end();
      fence = opening;
    } else if (line.trim() === '') {
      end();
    } else {
      current ??= { first: index + 1, lines: [] };
      current.lines.push(line);
    }
  });
  end();
  return paragraphs;
}

/** Where a paragraph's code spans are: [opening backtick, closing backtick], by matching runs. */
function codeSpans(line: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  const runs = [...line.matchAll(/`+/g)];
  for (let i = 0; i < runs.length; i += 1) {
    const opening = runs[i]!;
    const closing = runs.findIndex((run, j) => j > i && run[0] === opening[0]);
    if (closing === -1) continue;
    spans.push([opening.index, runs[closing]!.index]);
    i = closing;
  }
  return spans;
}

/** The code quoted in a link's text, whitespace normalised. */
function codeIn(text: string): string[] {
  return [...text.matchAll(/(`+)([\s\S]+?)\1(?!`)/g)].map((match) => normalise(match[2] ?? ''));
}

function normalise(code: string): string {
  return code.replace(/\s+/g, ' ').trim();
}

/** A file's lines, as GitHub numbers them (a last newline starts no line). */
function linesOf(file: string): string[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The anchors GitHub gives a page's headings (and any `<a id>` or `<a name>` in it). */
function headingAnchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const opening = /^\s{0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (opening?.startsWith(fence)) fence = undefined;
      continue;
    }
    if (opening) {
      fence = opening;
      continue;
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1] ?? '');
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[`*]/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** The rows of the Markdown tables in `markdown`, each as its trimmed cells. */
function tableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.trim().startsWith('|'))
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim()),
    );
}
