/**
 * The `.env` file `npm run register` writes the samples' settings to: its other lines are kept as
 * they are (comments, order, other variables, values over several lines), a variable it sets is
 * changed where it stands (keeping an `export`), or added at the end; one it removes is taken out.
 * The file is replaced whole, through a new file of mode 0600 renamed over it, so that it holds
 * secrets readable by its owner only and is never left half written; a symbolic link is followed,
 * and the file it names is the one replaced.
 */
import { existsSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/** One line of the file, and the variable it starts, if it starts one (not inside a value). */
interface Line {
  text: string;
  variable?: string;
  /** The lines after it that belong to its value (a quoted value over several lines). */
  continuation?: string[];
}

export class EnvFile {
  readonly #path: string;
  #lines: Line[];

  private constructor(path: string, text: string | undefined) {
    this.#path = path;
    this.#lines = text === undefined ? [] : parseLines(text.replace(/\n$/, ''));
  }

  /** The file at `path` (the one it links to, for a symbolic link), or one to be created there. */
  static read(path: string): EnvFile {
    const real = existsSync(path) ? realpathSync(path) : path;
    return new EnvFile(real, existsSync(real) ? readFileSync(real, 'utf8') : undefined);
  }

  get path(): string {
    return this.#path;
  }

  /** What the file says now (node's own `.env` parser, as the samples read it). */
  values(): Record<string, string> {
    return parseEnv(this.#text()) as Record<string, string>;
  }

  get(name: string): string | undefined {
    return this.values()[name];
  }

  /** Sets `name`, where it stands or at the end (after `heading`, a comment, if it is the first). */
  set(name: string, value: string, heading?: string): void {
    const at = this.#lines.findIndex((line) => line.variable === name);
    if (at >= 0) {
      const existing = this.#lines[at] as Line;
      const exported = /^\s*export\s/.test(existing.text) ? 'export ' : '';
      this.#lines[at] = { text: `${exported}${name}=${quoted(value)}`, variable: name };
      this.#lines = this.#lines.filter((line, index) => index <= at || line.variable !== name);
      return;
    }
    if (heading && !this.#lines.some((line) => line.text === heading)) {
      if (this.#lines.length > 0 && this.#lines.at(-1)?.text !== '') this.#lines.push({ text: '' });
      this.#lines.push({ text: heading });
    }
    this.#lines.push({ text: `${name}=${quoted(value)}`, variable: name });
  }

  /** Removes every line that sets `name` (with its value's other lines). */
  remove(name: string): void {
    this.#lines = this.#lines.filter((line) => line.variable !== name);
  }

  /** Writes the file: mode 0600, all at once. */
  save(): void {
    const temporary = `${this.#path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${this.#text()}\n`, { mode: 0o600 });
    renameSync(temporary, this.#path);
  }

  #text(): string {
    return this.#lines.flatMap((line) => [line.text, ...(line.continuation ?? [])]).join('\n');
  }
}

const DEFINITION = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*)$/;

/**
 * The file's lines, each variable's value whole: a value that opens a quote it does not close on
 * its line goes on to the line that closes it, as node's parser reads it.
 */
function parseLines(text: string): Line[] {
  const lines: Line[] = [];
  const all = text.split('\n');
  for (let index = 0; index < all.length; index += 1) {
    const text = all[index] as string;
    const match = DEFINITION.exec(text);
    if (!match) {
      lines.push({ text });
      continue;
    }
    const line: Line = { text, variable: match[1] as string, continuation: [] };
    const value = match[2] as string;
    const quote = /^["'`]/.exec(value)?.[0];
    if (quote && !value.slice(1).includes(quote)) {
      while (index + 1 < all.length) {
        index += 1;
        const next = all[index] as string;
        line.continuation?.push(next);
        if (next.includes(quote)) break;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** A value as it is written: bare when it is plain, in double quotes otherwise. */
function quoted(value: string): string {
  if (/^[\w.~:/@+=-]*$/.test(value)) return value;
  if (/["\n\\]/.test(value)) throw new Error('a value with a quote or a newline cannot be written');
  return `"${value}"`;
}
