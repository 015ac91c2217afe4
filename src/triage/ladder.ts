/**
 * Step 6 of triage, the response ladder: the decision table's responses for what was found —
 * block, investigate, revoke and create a new key — in that order, each with the rows and
 * incidents that call for it and concrete next steps. For Tyk logs the steps include the Tyk
 * Gateway API calls that would carry them out: printed, never run.
 *
 * Tyk Gateway API, as verified (search tool, /work/.library):
 * - routes: `/tyk/keys/{keyName}` (GET, PUT, POST, DELETE), `/tyk/keys/create` (POST),
 *   `/tyk/apis/{apiID}`, `/tyk/reload/group` — TykTechnologies/tyk gateway/server.go
 *   (loadAPIEndpoints); every call needs the `x-tyk-authorization: <secret>` header (checkIsAPIOwner).
 * - `?hashed=true`: the key is given by its hash, for get, update and delete — TykTechnologies/tyk
 *   gateway/api.go keyHandler (`isHashed := r.URL.Query().Get("hashed") != ""`,
 *   handleDeleteHashedKeyWithLogs) and TykTechnologies/tyk#2056 ("Allow updating key by its hash
 *   by passing hashed=true").
 * - `POST /tyk/keys/create` takes a session object and replies with the new `key` and, with
 *   hash_keys on, its `key_hash` — gateway/api.go createKeyHandler.
 * - a session's `is_inactive: true` disables the key — tyk.io/docs "Policies Guide".
 * - IP block lists are per API definition: `enable_ip_blacklisting`, `blacklisted_ips` (CIDR) —
 *   tyk.io/docs "Blocking IPs" (tyk-gateway-api/api-definition-objects/ip-blacklisting).
 * - with a Dashboard (Pro), the Gateway API is subsumed by the Dashboard API — tyk.io/docs
 *   "Tyk Gateway API" (tyk-rest-api).
 */
import type { Incident } from '../aggregate/incidents.js';
import { FINDING_KINDS, rowLabel } from '../judge/decision-table.js';
import type { RowId } from '../model/finding.js';
import type { Redactor } from '../report/sanitize.js';

export type LadderAction = 'block' | 'investigate' | 'revoke';

/** The decision table's response wording for each rung, in ladder order. */
export const RUNGS: readonly { action: LadderAction; response: string }[] = [
  { action: 'block', response: 'Block API request' },
  { action: 'investigate', response: 'Investigate API key' },
  { action: 'revoke', response: 'Revoke API key & create new API key' },
];

export interface LadderStep {
  action: LadderAction;
  /** The decision table's words for it. */
  response: string;
  /** Rows (and key-exposed) whose incidents call for it, in table order. */
  rows: RowId[];
  /** Ids of the incidents that call for it. */
  incidents: string[];
  /** What to do, in sentences. */
  steps: string[];
  /** Shell lines (comments start with #) for the gateway; empty when the logs are not Tyk's. */
  commands: string[];
}

/** What the ladder needs to know about the key. */
export interface LadderKey {
  /** Policy name, or the masked identity from the logs. */
  label: string;
  /** True when the key is in the policy. */
  inPolicy: boolean;
  owner: string;
  role: string;
  /** The key's hash as the gateway knows it (policy or log), or '' when unknown. */
  hash: string;
  /** True when the only way to address the key is its raw value (never printed: $API_KEY). */
  rawOnly: boolean;
  /** An alias to find the key by when no hash is known. */
  alias: string;
  policyFile: string;
}

export interface Ladder {
  steps: LadderStep[];
  /** Whether the commands are Tyk Gateway API calls (the logs are Tyk's); else no commands. */
  gateway: 'tyk' | 'other';
  /** How the commands address the key, and what to set before running them. */
  notes: string[];
}

const SAFE_ID = /^[A-Za-z0-9._-]+$/;
const SAFE_IP = /^[0-9A-Fa-f:.]+$/;
const AUTH = '-H "x-tyk-authorization: $TYK_SECRET"';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];
const list = (xs: string[], max = 4): string => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`);

/** The URL of the key at the Gateway API: by hash when known (a hash is not a key), else placeholders. */
function keyUrl(k: LadderKey): string {
  if (k.hash !== '' && SAFE_ID.test(k.hash)) return `"$TYK_GW/tyk/keys/${k.hash}?hashed=true"`;
  if (k.rawOnly) return '"$TYK_GW/tyk/keys/$API_KEY"';
  return '"$TYK_GW/tyk/keys/$KEY_HASH?hashed=true"';
}

const order = (row: RowId): number => FINDING_KINDS.findIndex((k) => k.id === row);
const rowsOf = (incidents: Incident[]): RowId[] => uniq(incidents.map((i) => i.row)).sort((a, b) => order(a) - order(b));

const letThrough = (incidents: Incident[]): number => incidents.reduce((n, i) => n + i.letThrough, 0);
const requests = (incidents: Incident[]): number => incidents.reduce((n, i) => n + i.count, 0);

/** The ladder for a key's open incidents. `tyk`: the logs are Tyk's, so Tyk Gateway API calls are given. */
export function buildLadder(all: Incident[], key: LadderKey, tyk: boolean, r: Redactor): Ladder {
  const incidents = all.filter((i) => i.suppressed === null);
  const steps: LadderStep[] = [];
  const url = keyUrl(key);
  const owner = key.owner ? r.text(key.owner) : "the key's owner";
  const name = r.text(key.label);

  for (const rung of RUNGS) {
    const calling = incidents.filter((i) => i.responses.includes(rung.response));
    if (calling.length === 0) continue;
    const step: LadderStep = { action: rung.action, response: rung.response, rows: rowsOf(calling), incidents: calling.map((i) => i.id), steps: [], commands: [] };
    if (rung.action === 'block') blockStep(step, calling, key, url, r, tyk);
    else if (rung.action === 'investigate') {
      step.steps.push(`Ask ${owner} whether these were theirs:`);
      for (const i of calling.slice(0, 5)) {
        step.steps.push(`  ${plural(i.count, 'request')} from ${r.text(i.ip) || 'an unlogged source'} (${rowLabel(i.row)}; ${r.text(i.reasons[0]?.text ?? i.cause)})`);
      }
      if (calling.length > 5) step.steps.push(`  and ${plural(calling.length - 5, 'more incident')}`);
      step.steps.push(`Pull the raw records around each violation: apiguard triage ${key.inPolicy ? name : 'KEY'} FILES --context 3`);
      if (tyk) step.commands.push("# The key's session at the gateway: its policies, access rights, limits and last update", `curl -s ${AUTH} ${url}`);
    } else {
      const exposed = calling.some((i) => i.row === 'key-exposed');
      step.steps.push(`Revoke ${name} and issue a new key to ${owner}: the key ${exposed ? 'is written in the clear in the logs' : 'is in the hands of someone else'}.`);
      if (exposed) step.steps.push('The raw key is in the logs: after rotating, turn on hash_keys in the gateway and restrict who can read those logs.');
      if (key.inPolicy) step.steps.push(`Then put the new key's hash into ${r.text(key.policyFile)} (keys: name ${name}, match.hash), so apiguard knows the new key.`);
      if (tyk) {
        step.commands.push(
          '# 1. Keep the session (policies, access rights, limits) to issue the new key from',
          `curl -s ${AUTH} ${url} > session.json`,
          '# 2. Revoke: delete the key; the gateway refuses it from now on',
          `curl -s -X DELETE ${AUTH} ${url}`,
          `# 3. Issue the new key from the saved session; the reply holds the new key (hand it to ${owner.replace(/[\r\n]/g, ' ')} over a safe channel) and its key_hash`,
          `jq '.is_inactive = false' session.json | curl -s -X POST ${AUTH} -H "Content-Type: application/json" --data @- "$TYK_GW/tyk/keys/create"`,
        );
      }
    }
    steps.push(step);
  }

  const notes: string[] = [];
  if (tyk && steps.some((s) => s.commands.length > 0)) {
    notes.push('Tyk Gateway API calls: printed, never run by apiguard. Set TYK_GW to the Gateway API URL and TYK_SECRET to its secret (tyk.conf "secret") first.');
    if (key.hash !== '' && SAFE_ID.test(key.hash)) notes.push(`The calls name the key by its hash (?hashed=true), never by the key itself.`);
    else if (key.rawOnly) notes.push('The key is known only by its raw value, which apiguard never prints: set API_KEY to it from your secret store.');
    else notes.push(`The ${key.inPolicy ? 'policy' : 'log'} has no hash for this key: set KEY_HASH to its hash (find the key in the Tyk Dashboard${key.alias ? ` by its alias ${r.text(key.alias)}` : ''}).`);
    notes.push("With a Tyk Dashboard (Pro), make the same changes through the Dashboard API or UI: it subsumes the Gateway API.");
  } else if (!tyk && steps.length > 0) {
    notes.push("The logs are not Tyk's: apiguard gives gateway API calls for Tyk only; carry out these steps in your gateway's console or API.");
  }
  return { steps, gateway: tyk ? 'tyk' : 'other', notes };
}

function blockStep(step: LadderStep, calling: Incident[], key: LadderKey, url: string, r: Redactor, tyk: boolean): void {
  const byRow = (...rows: RowId[]) => calling.filter((i) => rows.includes(i.row));
  // A source is blocked when it is the problem: the wrong place (rows 2, 3), or a key nobody
  // knows. A policy key's own desk is not blocked for a revoked key or a forbidden action.
  const blockable = calling.filter((i) => i.row === 'wrong-workstation' || i.row === 'key-compromised' || (i.row === 'unauthenticated' && !key.inPolicy));
  const sources = uniq(blockable.map((i) => i.ip).filter((ip) => ip !== '')).sort();
  if (sources.length > 0) {
    const through = letThrough(blockable);
    step.steps.push(
      `Block the source${sources.length === 1 ? '' : 's'} ${list(sources.map((s) => r.text(s)), 8)}: ${plural(requests(blockable), 'violating request')}, ${through} let through by the gateway.`,
    );
    const safe = sources.filter((ip) => SAFE_IP.test(ip));
    if (tyk && safe.length > 0) {
      step.commands.push(
        '# Tyk block lists are per API, not per key: for each API these sources reached (see the blast radius), set API_ID to its api_id and run',
        `curl -s ${AUTH} "$TYK_GW/tyk/apis/$API_ID" > api.json`,
        `jq '.enable_ip_blacklisting = true | .blacklisted_ips += [${safe.map((ip) => `"${ip}"`).join(',')}]' api.json | curl -s -X PUT ${AUTH} --data @- "$TYK_GW/tyk/apis/$API_ID"`,
        '# then reload the gateways so the block takes effect',
        `curl -s ${AUTH} "$TYK_GW/tyk/reload/group"`,
      );
    }
  }
  const revoked = byRow('unauthenticated').filter((i) => key.inPolicy && i.letThrough > 0);
  if (revoked.length > 0) {
    const why = uniq(revoked.flatMap((i) => i.reasons.map((x) => r.text(x.text))));
    step.steps.push(`The gateway still accepts ${r.text(key.label)} (${list(why, 2)}): ${plural(letThrough(revoked), 'request')} let through. Delete it at the gateway.`);
    if (tyk) step.commands.push('# Delete the key the policy no longer allows', `curl -s -X DELETE ${AUTH} ${url}`);
  }
  const unknown = byRow('unauthenticated').filter((i) => !key.inPolicy && i.letThrough > 0);
  if (unknown.length > 0) {
    step.steps.push(
      `The gateway accepts this key, which ${key.inPolicy ? 'the inventory' : 'no policy key'} matches: ${plural(letThrough(unknown), 'request')} let through. Find its owner, then delete it at the gateway or add it to the policy.`,
    );
    if (tyk) step.commands.push('# Delete the unknown key (only once you know whose it is)', `curl -s -X DELETE ${AUTH} ${url}`);
  }
  const forbidden = byRow('invalid-for-role').filter((i) => i.letThrough > 0);
  if (forbidden.length > 0) {
    const actions = uniq(forbidden.flatMap((i) => i.actions.map((a) => r.text(a.text))));
    step.steps.push(
      `The gateway let through ${plural(letThrough(forbidden), 'request')} for actions the role ${r.text(key.role) || 'of the key'} forbids (${list(actions, 3)}): narrow the key's access rights at the gateway (Tyk: allowed_urls per API in its policy or session) to what the role allows.`,
    );
  }
  const when = byRow('when-violation').filter((i) => i.letThrough > 0);
  if (when.length > 0) {
    const why = uniq(when.flatMap((i) => i.reasons.map((x) => x.text)));
    const limits = why.filter((w) => w.startsWith('over rate') || w.startsWith('over quota'));
    const hours = why.filter((w) => w.startsWith('outside '));
    const other = why.filter((w) => !limits.includes(w) && !hours.includes(w));
    step.steps.push(`The gateway let through ${plural(letThrough(when), 'request')} that broke the key's When rules (${list(why.map((w) => r.text(w)), 3)}).`);
    if (limits.length > 0) step.steps.push("  Set the key's rate and quota at the gateway to the policy's (Tyk: rate/per and quota_max in its policy or session).");
    if (hours.length > 0) step.steps.push('  Hours and days are not a gateway setting (Tyk has no time-of-day rules): deactivate the key outside them, or keep apiguard watching.');
    if (other.length > 0) step.steps.push('  Throttle the key at the gateway (Tyk: rate/per) while you investigate the unusual volume.');
  }
  if (letThrough(calling) === 0) {
    const all = requests(calling);
    step.steps.push(`The gateway blocked ${all === 1 ? 'the violating request' : `all ${all} violating requests`}: keep those blocks in place.`);
  }
}
