/**
 * Field paths in decoded records. `http.request.method` finds `{"http":{"request":{"method":…}}}`
 * and also the flattened `{"http.request.method": …}` that some exporters write (ECS allows both),
 * and any mix of the two.
 */
export type Getter = (record: Record<string, unknown>) => unknown;

function lookup(value: unknown, segments: string[], from: number): unknown {
  if (from === segments.length) return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const obj = value as Record<string, unknown>;
  // Longest literal key first: `a.b.c` as one key, then `a.b` + `c`, then `a` + `b.c` …
  for (let end = segments.length; end > from; end--) {
    const key = end === from + 1 ? segments[from]! : segments.slice(from, end).join('.');
    if (key in obj) {
      const found = lookup(obj[key], segments, end);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

export function compilePath(path: string): Getter {
  const segments = path.split('.');
  if (segments.length === 1) return (r) => r[path];
  return (r) => {
    const direct = r[path];
    return direct !== undefined ? direct : lookup(r, segments, 0);
  };
}

/** The first of several paths that holds a value other than null, '' or '-' (or one of `ignore`). */
export function compileFirst(paths: string[], ignore: string[] = []): Getter {
  const getters = paths.map(compilePath);
  if (getters.length === 1 && ignore.length === 0) return getters[0]!;
  const skip = new Set(ignore);
  return (r) => {
    for (const get of getters) {
      const v = get(r);
      if (v !== undefined && v !== null && v !== '' && v !== '-' && !(typeof v === 'string' && skip.has(v))) return v;
    }
    return undefined;
  };
}
