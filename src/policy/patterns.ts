/**
 * Role patterns: `METHOD /path/pattern`. METHOD is one method, `A|B`, or `*` for any.
 * In the path, `*` matches one segment (or part of one: `user-*`), `**` any number of segments,
 * including none. Matching is case-sensitive and runs on normalised paths (see normalise/path.ts).
 * Each pattern compiles to one anchored RegExp over the string `METHOD path`.
 */

export interface CompiledPattern {
  text: string;
  regex: RegExp;
  /** The methods it names, or '*' for any. */
  methods: string[] | '*';
  /** The path part of `regex`, unanchored. */
  pathSource: string;
}

const METHOD = /^[A-Z][A-Z-]*$/;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Returns the compiled pattern, or an error text saying what is wrong with it. */
export function compilePattern(text: string): CompiledPattern | string {
  const m = /^(\S+)\s+(\S+)$/.exec(text.trim());
  if (!m) return `'${text}' is not "METHOD /path" (e.g. "GET /api/**")`;
  const methodPart = m[1]!;
  const pathPart = m[2]!;
  let methodRe: string;
  if (methodPart === '*') methodRe = '[A-Z][A-Z-]*';
  else {
    const methods = methodPart.split('|');
    for (const method of methods) {
      if (!METHOD.test(method)) return `'${text}': '${method}' is not an upper-case HTTP method or *`;
    }
    methodRe = methods.length === 1 ? methods[0]! : `(?:${methods.join('|')})`;
  }
  if (!pathPart.startsWith('/')) return `'${text}': the path must start with /`;
  if (/[?#]/.test(pathPart)) return `'${text}': query strings and fragments are not part of the path`;
  let pathRe = '';
  const segments = pathPart.split('/').slice(1);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const isLast = i === segments.length - 1;
    if (seg === '' && !isLast) return `'${text}': empty path segment (//)`;
    if (seg === '.' || seg === '..') return `'${text}': dot segments cannot be matched (paths are normalised)`;
    if (seg === '**') {
      pathRe += '(?:/[^/]*)*';
      continue;
    }
    if (seg.includes('**')) return `'${text}': ** must be a whole segment`;
    if (seg === '*') {
      pathRe += '/[^/]+';
      continue;
    }
    pathRe += '/' + seg.split('*').map(escapeRegex).join('[^/]*');
  }
  return { text: `${methodPart} ${pathPart}`, regex: new RegExp(`^${methodRe} ${pathRe}$`), methods: methodPart === '*' ? '*' : methodPart.split('|'), pathSource: pathRe };
}

/** Per method: the paths a role allows and denies, as one expression each (null: none). */
interface MethodPaths {
  allow: RegExp | null;
  deny: RegExp | null;
}

/** Distinct methods whose expressions a role keeps (log methods are attacker-controlled). */
const MAX_METHODS = 64;

/** A role: the actions it allows, minus the ones it denies (deny wins). */
export class RoleMatcher {
  private readonly allowAny: RegExp;
  private readonly denyAny: RegExp | null;
  private readonly byMethod = new Map<string, MethodPaths>();

  constructor(
    readonly name: string,
    readonly allow: CompiledPattern[],
    readonly deny: CompiledPattern[],
  ) {
    // One alternation per list: a single regex test per request on the common path.
    this.allowAny = allow.length ? new RegExp(allow.map((p) => `(?:${p.regex.source})`).join('|')) : /$^/;
    this.denyAny = deny.length ? new RegExp(deny.map((p) => `(?:${p.regex.source})`).join('|')) : null;
  }

  /**
   * The patterns that apply to `method`, as path expressions. For a method that is one word of
   * capitals (what METHOD patterns can name), `METHOD path` matches a pattern exactly when the
   * method is one it names (or it says *) and the path matches its path part: testing the path
   * alone gives the same answer without building the action text.
   */
  private pathsFor(method: string): MethodPaths {
    let paths = this.byMethod.get(method);
    if (paths === undefined) {
      const union = (list: CompiledPattern[]): RegExp | null => {
        const applies = list.filter((p) => p.methods === '*' || p.methods.includes(method));
        return applies.length ? new RegExp(`^(?:${applies.map((p) => `(?:${p.pathSource})`).join('|')})$`) : null;
      };
      paths = { allow: union(this.allow), deny: union(this.deny) };
      if (this.byMethod.size < MAX_METHODS) this.byMethod.set(method, paths);
    }
    return paths;
  }

  /** '' when allowed, else the reason it is not. */
  check(method: string, path: string): string {
    const known = this.byMethod.get(method);
    if (known !== undefined || METHOD.test(method)) {
      const { allow, deny } = known ?? this.pathsFor(method);
      const denied = deny !== null && deny.test(path);
      if (!denied && allow !== null && allow.test(path)) return '';
      return this.reason(`${method} ${path}`);
    }
    const action = `${method} ${path}`;
    if ((this.denyAny !== null && this.denyAny.test(action)) || !this.allowAny.test(action)) return this.reason(action);
    return '';
  }

  /** Why `action` (which the role does not allow) is refused. */
  private reason(action: string): string {
    if (this.denyAny !== null && this.denyAny.test(action)) {
      const hit = this.deny.find((p) => p.regex.test(action))!;
      return `${action} is denied for ${this.name} (deny: ${hit.text})`;
    }
    return `${action} is not allowed for ${this.name}`;
  }
}
