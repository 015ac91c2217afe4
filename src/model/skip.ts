/**
 * Why a record was skipped. Ids are stable (machines count them); texts are for people.
 * A skip is never fatal: it is counted, the first few are shown with file:line, the scan goes on.
 */
export const SKIP_REASONS = {
  'bad-json': 'not valid JSON',
  'not-an-object': 'JSON value is not an object',
  'bad-csv': 'CSV record with the wrong number of cells',
  'wrong-format': 'record does not fit the format detected for its file',
  'missing-timestamp': 'no timestamp',
  'bad-timestamp': 'timestamp cannot be parsed',
  'missing-ip': 'no client IP',
  'bad-ip': 'client IP cannot be parsed',
  'missing-method': 'no HTTP method',
  'missing-path': 'no request path',
  'line-too-long': 'line (or JSON document, or CSV cell) too long',
  'unknown-format': 'file matches no known log format',
} as const;

export type SkipReason = keyof typeof SKIP_REASONS;

/**
 * A skip with the detail that helps fix it (e.g. the bad value, the parser's message).
 * A class, so that `instanceof` tells it apart from a decoded record of the same shape.
 */
export class Skip {
  constructor(
    readonly reason: SkipReason,
    readonly detail: string,
  ) {}
}

export function skip(reason: SkipReason, detail = ''): Skip {
  return new Skip(reason, detail);
}
