import { createReadStream, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { InputError } from '../model/errors.js';
import { slabFileStream, startsLikeGzip } from './slabs.js';

/** One input: a file, or standard input. */
export interface Source {
  /** As shown in reports and used in finding locations: the path as given, or `<stdin>`. */
  name: string;
  open(): Readable;
  /**
   * For --jobs: the same bytes read into shared memory that chunks can view without a copy
   * (src/read/slabs.ts); absent for standard input. A gzip file, and anything but a regular file
   * (a FIFO), is read as by `open`.
   */
  openShared?(chunkBytes: number): Readable;
}

export const STDIN_NAME = '<stdin>';

function fileSource(path: string): Source {
  const open = (): Readable => createReadStream(path, { highWaterMark: 256 * 1024 });
  // Slabs need positioned reads, so a regular file: not a FIFO such as bash's <(zcat ...), which
  // is read once, as it comes.
  const openShared = (chunkBytes: number): Readable => {
    const regular = statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
    return regular && !startsLikeGzip(path) ? slabFileStream(path, chunkBytes) : open();
  };
  return { name: path, open, openShared };
}

/**
 * In a directory, only files named like logs are read (a log folder also holds READMEs, scripts,
 * checksums): .ndjson .jsonl .json .log .logfmt .csv .tsv .txt, rotated (.log.1) and gzipped (.gz) forms.
 * A file named on the command line is always read.
 */
export const LOG_NAME = /\.(ndjson|jsonl|json|log|logfmt|csv|tsv|txt)(\.\d+)?(\.gz)?$|\.gz$/i;

function walk(dir: string, seen: Set<string>, out: Source[], ignored: (path: string) => void): void {
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
    if (st.isDirectory()) walk(path, seen, out, ignored);
    else if (st.isFile()) {
      if (LOG_NAME.test(e.name)) out.push(fileSource(path));
      else ignored(path);
    }
  }
}

/**
 * Expands the command line's inputs, in the order given: files as they are, directories
 * recursively in name order (hidden entries and files not named like logs skipped, each passed to
 * `ignored`), `-` as standard input (once).
 * A path that does not exist is an input error before anything is read.
 */
export function expandInputs(
  inputs: string[],
  stdin: () => Readable = () => process.stdin,
  ignored: (path: string) => void = () => {},
): Source[] {
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
      walk(input, new Set(), out, ignored);
      if (out.length === before) throw new InputError(`${input}: directory has no log files to read (names ending .ndjson, .jsonl, .json, .log, .logfmt, .csv, .tsv, .txt or .gz)`);
    } else out.push(fileSource(input));
  }
  return out;
}
