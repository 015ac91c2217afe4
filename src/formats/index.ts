import type { LogFormat } from './define-format.js';
import tykAnalytics from './tyk-analytics.js';

/** Every format, most specific first: detection asks them in this order. */
export const FORMATS: readonly LogFormat[] = [tykAnalytics];

export function formatByName(name: string): LogFormat | undefined {
  return FORMATS.find((f) => f.meta.name === name);
}

export type { LogFormat } from './define-format.js';
