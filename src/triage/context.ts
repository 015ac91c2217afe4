/**
 * --context N: the raw source lines around each violation, like a hunt tool pulling the source
 * data around an event. The files are read again by line number (for line-based formats — NDJSON,
 * CSV, logfmt, access logs — a line is a record). Windows that overlap are merged. Every line is
 * masked before it is printed: the policy's raw keys and every raw key seen in the logs become
 * their masked form, control characters become visible escapes, and long lines are cut after
 * masking (so a cut never leaves half a key in the clear).
 */
import { readLines } from '../read/lines.js';
import type { Source } from '../read/sources.js';
import type { Redactor } from '../report/sanitize.js';

/** Violations given context, in time order: the first ones are where an incident starts. */
export const DEFAULT_CONTEXT_VIOLATIONS = 20;
export const MAX_CONTEXT_LINES = 100;
/** Characters of a line shown; base64 request bodies can make lines very long. */
export const MAX_LINE_SHOWN = 2000;

export interface ContextLine {
  line: number;
  text: string;
  /** This line holds one of the key's violations. */
  violation: boolean;
}

export interface ContextBlock {
  file: string;
  lines: ContextLine[];
}

export interface ContextResult {
  /** N: lines before and after each violation. */
  lines: number;
  /** Violations given context, and how many the key has. */
  shown: number;
  violations: number;
  blocks: ContextBlock[];
  /** Files whose lines could not be read again, with why. */
  unavailable: { file: string; why: string }[];
  /** Why less was shown than asked, when it was. */
  note?: string;
}

/** Masks and cuts one raw line for printing. */
export function maskLine(text: string, redact: Redactor): string {
  const masked = redact.text(text);
  return masked.length > MAX_LINE_SHOWN ? `${masked.slice(0, MAX_LINE_SHOWN)}… (${masked.length - MAX_LINE_SHOWN} more characters)` : masked;
}

/**
 * Reads the lines around `violations` (file, line; in time order, the first `limit` used) from
 * `sources`, N before and after each, masked by `redact`.
 */
export async function pullContext(
  sources: Source[],
  violations: { file: string; line: number }[],
  n: number,
  limit: number,
  redact: Redactor,
): Promise<ContextResult> {
  const chosen = violations.slice(0, limit);
  const byFile = new Map<string, Set<number>>();
  for (const v of chosen) {
    let s = byFile.get(v.file);
    if (!s) byFile.set(v.file, (s = new Set()));
    s.add(v.line);
  }
  const blocks: ContextBlock[] = [];
  const unavailable: ContextResult['unavailable'] = [];
  const seen = new Set<string>();
  for (const source of sources) {
    const marked = byFile.get(source.name);
    if (!marked || seen.has(source.name)) continue;
    seen.add(source.name);
    // Merged windows [from, to] in line order.
    const windows: [number, number][] = [];
    for (const line of [...marked].sort((a, b) => a - b)) {
      const from = Math.max(1, line - n);
      const to = line + n;
      const lastWindow = windows[windows.length - 1];
      if (lastWindow && from <= lastWindow[1] + 1) lastWindow[1] = Math.max(lastWindow[1], to);
      else windows.push([from, to]);
    }
    const end = windows[windows.length - 1]![1];
    const found: ContextLine[] = [];
    let w = 0;
    let stopped = false;
    const stream = source.open();
    const result = await readLines(stream, {
      line(text, line) {
        if (stopped) return;
        while (w < windows.length && line > windows[w]![1]) w++;
        if (w < windows.length && line >= windows[w]![0]) found.push({ line, text: maskLine(text, redact), violation: marked.has(line) });
        if (line >= end) {
          // Everything wanted is read: stop reading the rest of the file.
          stopped = true;
          stream.destroy();
        }
      },
      tooLong(line) {
        if (windows.some(([a, b]) => line >= a && line <= b)) found.push({ line, text: '(line over 16 MiB, not shown)', violation: marked.has(line) });
      },
    });
    if (result.error && !stopped) unavailable.push({ file: redact.text(source.name), why: redact.text(result.error) });
    // One block per merged window.
    for (const [from, to] of windows) {
      const lines = found.filter((l) => l.line >= from && l.line <= to);
      if (lines.length > 0) blocks.push({ file: redact.text(source.name), lines });
    }
  }
  return { lines: n, shown: chosen.length, violations: violations.length, blocks, unavailable };
}
