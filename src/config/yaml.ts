import { createRequire } from 'node:module';
import type { Document, LineCounter } from 'yaml';
import { PolicyError, type PolicyProblem } from '../model/errors.js';

/**
 * The `yaml` package, loaded when first needed: plain policies are read without it
 * (src/config/plain-yaml.ts), and loading it costs ~50 ms at every start.
 */
let yamlPackage: typeof import('yaml') | undefined;
export function yaml(): typeof import('yaml') {
  return (yamlPackage ??= createRequire(import.meta.url)('yaml') as typeof import('yaml'));
}

/**
 * YAML configuration files (policies, mappings): parse with line numbers, collect every problem
 * with the line it is on, and read scalars exactly as written.
 */
export type Path = (string | number)[];

/** Where validation reports problems and reads scalars as written. */
export interface ProblemSink {
  add(path: Path, message: string): void;
  asWritten(path: Path, value: unknown): string;
}

/**
 * The sink for a file read by `readPlainYaml` (src/config/plain-yaml.ts), which has no positions:
 * it only counts problems, so that the caller reads the file again with `parseYaml` to report them
 * at their lines.
 */
export class PlainProblems implements ProblemSink {
  count = 0;
  constructor(private readonly numbers: Map<string, string>) {}

  add(): void {
    this.count++;
  }

  asWritten(path: Path, value: unknown): string {
    if (typeof value !== 'number') return String(value);
    return this.numbers.get(JSON.stringify(path)) ?? String(value);
  }
}

export class Problems implements ProblemSink {
  readonly list: PolicyProblem[] = [];
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly text: string,
  ) {}

  /**
   * Line of what `path` names: for a mapping field, the line of its name (its value may start on
   * the next line, as a block list does); for a list item, the item's line; else the nearest parent.
   */
  lineOf(path: Path): number {
    const last = path[path.length - 1];
    if (typeof last === 'string') {
      const parent = this.doc.getIn(path.slice(0, -1), true);
      const map = path.length === 1 ? this.doc.contents : parent;
      const { isMap, isScalar } = yaml();
      if (isMap(map)) {
        const pair = map.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === last);
        const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
        if (range) return this.lines.linePos(range[0]).line;
      }
    }
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return this.lines.linePos(node.range[0]).line;
      if (n === 0 && this.doc.contents?.range) return this.lines.linePos(this.doc.contents.range[0]).line;
    }
    return 1;
  }

  add(path: Path, message: string): void {
    this.list.push({ line: this.lineOf(path), message: `${describe(path)}${message}` });
  }

  /**
   * A scalar exactly as written in the file. YAML reads an unquoted `00000000` or `0123abc…`-like
   * hash as a number (0, or a changed value); identities must be matched as written.
   */
  asWritten(path: Path, value: unknown): string {
    if (typeof value !== 'number') return String(value);
    const node = this.doc.getIn(path, true);
    if (yaml().isScalar(node) && node.range) return this.text.slice(node.range[0], node.range[1]).trim();
    return String(value);
  }
}

function describe(path: Path): string {
  if (path.length === 0) return '';
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return `${out}: `;
}


/** Parses YAML text; a syntax error is a PolicyError (exit 2) at its line. */
export function parseYaml(text: string, file: string): { problems: Problems; raw: unknown } {
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new PolicyError(
      file,
      doc.errors.map((e) => ({ line: e.linePos?.[0]?.line ?? 1, message: `YAML: ${e.message.split('\n')[0]}` })),
    );
  }
  return { problems: new Problems(doc, lines, text), raw: doc.toJS({ maxAliasCount: 100 }) };
}

/** Throws the collected problems, sorted by line, if there are any. */
export function throwProblems(file: string, problems: Problems): void {
  if (problems.list.length === 0) return;
  problems.list.sort((a, b) => a.line - b.line);
  throw new PolicyError(file, problems.list);
}

export type { PolicyProblem };
