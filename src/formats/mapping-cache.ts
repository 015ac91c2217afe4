import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseMapping, type MappingSpec } from './mapping.js';

/**
 * The built-in mappings, validated once at build time and kept as JSON beside the compiled code:
 * lexing ~20 commented YAML files costs ~150 ms at every start. Each entry carries the hash of
 * the file it came from, so a mapping edited or added after the build is read from its YAML.
 */
export const CACHE_FILE = fileURLToPath(new URL('../mappings-cache.json', import.meta.url));

interface CacheEntry {
  name: string;
  sha1: string;
  spec: MappingSpec;
}

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

function readCache(): Map<string, CacheEntry> {
  if (!existsSync(CACHE_FILE)) return new Map();
  try {
    const entries = JSON.parse(readFileSync(CACHE_FILE, 'utf8')) as CacheEntry[];
    return new Map(entries.map((e) => [e.name, e]));
  } catch {
    return new Map(); // a damaged cache only costs time
  }
}

/** Every mapping in `dir`, from the cache where the file is unchanged, else parsed (and validated). */
export function loadMappings(dir: string): MappingSpec[] {
  const cache = readCache();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((name) => {
      const text = readFileSync(dir + name, 'utf8');
      const cached = cache.get(name);
      if (cached && cached.sha1 === sha1(text)) return { ...cached.spec, file: dir + name };
      return parseMapping(text, dir + name);
    });
}

/** Writes the cache for `dir` (run by `npm run build`). */
export function writeMappingCache(dir: string): number {
  const entries: CacheEntry[] = readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((name) => {
      const text = readFileSync(dir + name, 'utf8');
      return { name, sha1: sha1(text), spec: { ...parseMapping(text, dir + name), file: '' } };
    });
  writeFileSync(CACHE_FILE, JSON.stringify(entries));
  return entries.length;
}

// `node dist/formats/mapping-cache.js` builds the cache.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = fileURLToPath(new URL('../../rules/mappings/', import.meta.url));
  process.stdout.write(`apiguard: cached ${writeMappingCache(dir)} mappings\n`);
}
