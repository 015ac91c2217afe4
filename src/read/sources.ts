import { createReadStream, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { InputError } from '../model/errors.js';

/** One input: a file, or standard input. */
export interface Source {
  /** As shown in reports and used in finding locations: the path as given, or `<stdin>`. */
  name: string;
  open(): Readable;
}

export const STDIN_NAME = '<stdin>';

function fileSource(path: string): Source {
  return { name: path, open: () => createReadStream(path, { highWaterMark: 256 * 1024 }) };
}

function walk(dir: string, seen: Set<string>, out: Source[]): void {
  const real = realpathSync(dir);
  if (seen.has(real)) return; // symlink loop
  seen.add(real);
  const entries = readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue; // dangling symlink
    if (st.isDirectory()) walk(path, seen, out);
    else if (st.isFile()) out.push(fileSource(path));
  }
}

/**
 * Expands the command line's inputs, in the order given: files as they are, directories
 * recursively in name order (hidden entries skipped), `-` as standard input (once).
 * A path that does not exist is an input error before anything is read.
 */
export function expandInputs(inputs: string[], stdin: () => Readable = () => process.stdin): Source[] {
  const out: Source[] = [];
  let usedStdin = false;
  for (const input of inputs) {
    if (input === '-') {
      if (usedStdin) continue;
      usedStdin = true;
      out.push({ name: STDIN_NAME, open: stdin });
      continue;
    }
    const st = statSync(input, { throwIfNoEntry: false });
    if (!st) throw new InputError(`${input}: no such file or directory`);
    if (st.isDirectory()) {
      const before = out.length;
      walk(input, new Set(), out);
      if (out.length === before) throw new InputError(`${input}: directory has no files to read`);
    } else out.push(fileSource(input));
  }
  return out;
}
