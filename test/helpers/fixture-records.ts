/**
 * Fixture files as the format tests read them: the files under a folder, their records decoded
 * as readRequests frames them, and a normalised record that must not have been skipped.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { SNIFF_LINES, readerFor, sniffFraming, type Framing } from '../../src/decode/containers.js';
import type { ApiRequest } from '../../src/model/request.js';
import { Skip } from '../../src/model/skip.js';

/** Every file under `dir`, recursively. */
export function allFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? allFilesUnder(path) : [path];
  });
}

/** The files under `dir`, recursively, named like (uncompressed) logs. */
export function filesUnder(dir: string): string[] {
  return allFilesUnder(dir).filter((path) => /\.(ndjson|jsonl|json|log|logfmt|csv|tsv|txt)$/.test(path));
}

/**
 * A fixture file's records as the pipeline frames them: the framing sniffed from its first lines,
 * CRLF endings dropped, blank lines before the first record ignored and later ones fed only where
 * the framing reads them; and that framing (undefined for a file of blank lines).
 */
export function framedRecords(file: string): { records: Record<string, unknown>[]; framing: Framing | undefined } {
  const records: Record<string, unknown>[] = [];
  const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/\r$/, ''));
  const nonBlank = lines.filter((l) => l.trim() !== '');
  if (nonBlank.length === 0) return { records, framing: undefined };
  const framing = sniffFraming(nonBlank.slice(0, SNIFF_LINES));
  const reader = readerFor(framing, { record: (r) => records.push(r), skip: () => {} });
  let started = false;
  lines.forEach((l, i) => {
    const blank = l.trim() === '';
    if (!started && blank) return;
    started = true;
    if (blank && framing !== 'csv' && framing !== 'json-document') return;
    reader.line(l, i + 1);
  });
  reader.end();
  return { records, framing };
}

/** Every record a fixture file holds, decoded the way readRequests frames it. */
export function recordsOf(file: string): Record<string, unknown>[] {
  return framedRecords(file).records;
}

/** A normalised record's request; a skip fails the test, with its reason. */
export function requestOf(r: ApiRequest | Skip): ApiRequest {
  if (r instanceof Skip) throw new Error(`skipped: ${r.reason} ${r.detail ?? ''}`);
  return r;
}

/**
 * Asserts that `detect` refuses every record of `files` (the other formats' fixtures), and that
 * they held more records than the demo log alone (1,138), so the sweep really read them.
 */
export function expectNoneDetected(detect: (record: Record<string, unknown>) => boolean, files: string[]): void {
  let seen = 0;
  for (const file of files) {
    for (const r of recordsOf(file)) {
      seen++;
      expect(detect(r), `${file}: ${JSON.stringify(r).slice(0, 80)}`).toBe(false);
    }
  }
  expect(seen).toBeGreaterThan(1138);
}
