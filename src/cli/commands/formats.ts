import { relative } from 'node:path';
import { FORMATS, type LogFormat } from '../../formats/index.js';
import type { MappingSpec } from '../../formats/mapping.js';
import { UsageError } from '../../model/errors.js';
import type { Io } from './scan.js';

function sourceOf(f: LogFormat, cwd: string): string {
  const spec = (f as LogFormat & { spec?: MappingSpec }).spec;
  if (!spec) return `src/formats/${f.meta.name}.ts`;
  return spec.file ? relative(cwd, spec.file) || spec.file : '--map';
}

/** `apiguard formats`: what can be read, in detection order. */
export function runFormats(flags: { output: string }, io: Io): number {
  const rows = FORMATS.map((f) => ({ name: f.meta.name, container: f.meta.container, source: sourceOf(f, io.cwd), description: f.meta.description }));
  if (flags.output === 'json') {
    io.stdout.write(JSON.stringify(rows, null, 2) + '\n');
    return 0;
  }
  if (flags.output !== 'table') throw new UsageError(`--output '${flags.output}' is not one of table, json`);
  const width = (k: keyof (typeof rows)[number]) => Math.max(k.length, ...rows.map((r) => r[k].length));
  const [n, c] = [width('name'), width('container')];
  const lines = [
    'Log formats apiguard reads, in the order detection tries them (force one with --format NAME):',
    '',
    `  ${'NAME'.padEnd(n)}  ${'CONTAINER'.padEnd(c)}  WHAT IT READS`,
    ...rows.map((r) => `  ${r.name.padEnd(n)}  ${r.container.padEnd(c)}  ${r.description}\n  ${''.padEnd(n)}  ${''.padEnd(c)}  (${r.source})`),
    '',
    'Anything else: --map canonical=field, or a mapping file (--mapping FILE; schema in rules/mappings/README.md).',
  ];
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}
