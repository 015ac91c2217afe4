/**
 * Step 5 of triage, the blast radius: everything the key did from the onset on — which APIs and
 * actions, how many requests, how many succeeded. The onset is the first violation, or the first
 * request from a new network outside the key's `from` (any new network when it has none) when
 * that came earlier: a stolen key's first use may break no rule the policy can see.
 */
import { MAX_ACTIONS, count, emptyTally, snapshot, statusClass, type Seen, type Snapshot, type Tally } from './activity.js';

/** Distinct APIs kept; a scan of random paths in a format without API names must not grow without bound. */
export const MAX_APIS = 1000;

export type BlastStart = 'first-violation' | 'first-new-network';

export interface BlastAction extends Tally {
  method: string;
  path: string;
  violations: number;
}

/** The API a request went to: the format's API name or id, else the first path segment. */
export function apiLabel(api: string, path: string): string {
  if (api !== '') return api;
  const seg = path.split('/')[1] ?? '';
  return seg === '' ? '/' : `/${seg}/…`;
}

export class BlastRadius {
  start: { by: BlastStart; request: Snapshot } | null = null;
  readonly total = emptyTally();
  violations = 0;
  letThrough = 0;
  readonly apis = new Map<string, Tally>();
  readonly otherApis = emptyTally();
  readonly actions = new Map<string, BlastAction>();
  readonly otherActions = emptyTally();
  readonly sources = new Set<string>();
  /** Sources that broke policy (or came from a new foreign network) since the onset, and what they did from then on. */
  readonly suspects = new Set<string>();
  readonly fromSuspects = emptyTally();

  /** `newForeignNetwork`: this request is the key's first from a new network outside its `from`. */
  add(s: Seen, newForeignNetwork: boolean): void {
    if (this.start === null) {
      if (s.findings.length > 0) this.start = { by: 'first-violation', request: snapshot(s) };
      else if (newForeignNetwork) this.start = { by: 'first-new-network', request: snapshot(s) };
      else return;
    }
    const { req } = s;
    count(this.total, req.status);
    if (s.findings.length > 0) {
      this.violations++;
      if (statusClass(req.status) === 'succeeded') this.letThrough++;
    }
    if (this.sources.size < 10_000) this.sources.add(req.ip);
    if ((s.findings.length > 0 || newForeignNetwork) && this.suspects.size < 10_000) this.suspects.add(req.ip);
    if (this.suspects.has(req.ip)) count(this.fromSuspects, req.status);
    const api = apiLabel(req.api, req.path);
    let a = this.apis.get(api);
    if (!a && this.apis.size < MAX_APIS) this.apis.set(api, (a = emptyTally()));
    count(a ?? this.otherApis, req.status);
    const key = `${req.method} ${req.path}`;
    let act = this.actions.get(key);
    if (!act && this.actions.size < MAX_ACTIONS) this.actions.set(key, (act = { method: req.method, path: req.path, violations: 0, ...emptyTally() }));
    if (act) {
      count(act, req.status);
      if (s.findings.length > 0) act.violations++;
    } else count(this.otherActions, req.status);
  }
}
