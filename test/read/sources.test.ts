import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { expandInputs, STDIN_NAME } from '../../src/read/sources.js';

let root: string;
let tree: string;
let empty: string;
let onlyHidden: string;

function write(path: string, text = 'x\n'): string {
  writeFileSync(path, text);
  return path;
}

async function readAll(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'apiguard-sources-'));
  tree = join(root, 'tree');
  mkdirSync(join(tree, 'm', 'deep'), { recursive: true });
  mkdirSync(join(tree, '.hiddendir'));
  write(join(tree, 'b.log'), 'bee\n');
  write(join(tree, 'a.log'));
  write(join(tree, 'Z.log'));
  write(join(tree, 'z.log'));
  write(join(tree, '.hidden.log'));
  write(join(tree, '.hiddendir', 'x.log'));
  write(join(tree, 'm', 'c.log'));
  write(join(tree, 'm', 'deep', 'd.log'));
  write(join(tree, 'm', '.secret.log'));
  empty = join(root, 'empty');
  mkdirSync(empty);
  onlyHidden = join(root, 'only-hidden');
  mkdirSync(onlyHidden);
  write(join(onlyHidden, '.gitkeep'));
  write(join(root, 'one.log'), 'one\n');
  write(join(root, 'two.log'), 'two\n');
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const names = (inputs: string[]) => expandInputs(inputs, () => Readable.from([])).map((s) => s.name);

describe('expandInputs', () => {
  it('keeps files in the order given, named as given', () => {
    const two = join(root, 'two.log');
    const one = join(root, 'one.log');
    expect(names([two, one])).toEqual([two, one]);
  });

  it('walks a directory recursively in name order, skipping hidden entries', () => {
    expect(names([tree])).toEqual([
      join(tree, 'Z.log'),
      join(tree, 'a.log'),
      join(tree, 'b.log'),
      join(tree, 'm', 'c.log'),
      join(tree, 'm', 'deep', 'd.log'),
      join(tree, 'z.log'),
    ]);
  });

  it('keeps the command-line order across files and directories', () => {
    const one = join(root, 'one.log');
    expect(names([one, join(tree, 'm'), one])).toEqual([one, join(tree, 'm', 'c.log'), join(tree, 'm', 'deep', 'd.log'), one]);
  });

  it('reads `-` as standard input, once, at its first position', () => {
    const one = join(root, 'one.log');
    expect(names(['-', one, '-'])).toEqual([STDIN_NAME, one]);
    expect(STDIN_NAME).toBe('<stdin>');
  });

  it('opens standard input through the given factory', async () => {
    const [src] = expandInputs(['-'], () => Readable.from([Buffer.from('from stdin\n')]));
    expect(src!.name).toBe('<stdin>');
    expect(await readAll(src!.open())).toBe('from stdin\n');
  });

  it('opens files for reading', async () => {
    const sources = expandInputs([tree]);
    expect(await readAll(sources[2]!.open())).toBe('bee\n');
  });

  it('throws an InputError naming a missing path', () => {
    const missing = join(root, 'nope.log');
    expect(() => expandInputs([join(root, 'one.log'), missing])).toThrow(InputError);
    expect(() => expandInputs([missing])).toThrow(`${missing}: no such file or directory`);
  });

  it('throws an InputError for an empty directory', () => {
    expect(() => expandInputs([empty])).toThrow(InputError);
    expect(() => expandInputs([empty])).toThrow(`${empty}: directory has no log files to read`);
  });

  it('throws an InputError for a directory holding only hidden files', () => {
    expect(() => expandInputs([onlyHidden])).toThrow(`${onlyHidden}: directory has no log files to read`);
  });

  it('uses exit code 3 for input errors', () => {
    try {
      expandInputs([join(root, 'nope.log')]);
      expect.unreachable('expandInputs should have thrown');
    } catch (e) {
      expect((e as InputError).exitCode).toBe(3);
    }
  });

  it('survives a symlink loop and skips a dangling symlink', () => {
    const dir = join(root, 'loop');
    mkdirSync(dir);
    write(join(dir, 'f.log'));
    symlinkSync(dir, join(dir, 'again'));
    symlinkSync(join(root, 'gone.log'), join(dir, 'dangling.log'));
    expect(names([dir])).toEqual([join(dir, 'f.log')]);
  });
});

describe('expandInputs: files not named like logs', () => {
  it('reads only log-like names inside directories and reports the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-lognames-'));
    for (const name of ['a.ndjson', 'b.jsonl', 'c.json', 'd.log', 'd.log.1', 'd.log.2.gz', 'e.csv', 'f.tsv', 'g.txt', 'h.gz', 'I.LOG', 'README.md', 'run.sh', 'SHA256SUMS']) {
      write(join(dir, name));
    }
    const ignored: string[] = [];
    const read = expandInputs([dir], () => Readable.from([]), (p) => ignored.push(p)).map((s) => s.name.slice(dir.length + 1));
    expect(read).toEqual(['I.LOG', 'a.ndjson', 'b.jsonl', 'c.json', 'd.log', 'd.log.1', 'd.log.2.gz', 'e.csv', 'f.tsv', 'g.txt', 'h.gz']);
    expect(ignored.map((p) => p.slice(dir.length + 1))).toEqual(['README.md', 'SHA256SUMS', 'run.sh']);
  });

  it('reads a file named directly whatever its name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'apiguard-lognames-'));
    const f = write(join(dir, 'export'));
    expect(expandInputs([f]).map((s) => s.name)).toEqual([f]);
  });
});
