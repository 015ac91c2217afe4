import { severalKeys, type Counted, type Incident } from '../aggregate/incidents.js';
import { FINDING_KINDS, rowNumber, type Cell, type DecisionRow } from '../judge/decision-table.js';
import type { Severity } from '../model/finding.js';
import { isoUtc } from '../normalise/time.js';
import type { Redactor } from './sanitize.js';
import type { Reporter } from './types.js';

/**
 * SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning, DefectDojo, SARIF viewers):
 * one rule per finding kind (the decision table's rows, then key-exposed), one result per
 * incident, located at its first evidence line. Nothing in it depends on the clock, so the same
 * scan gives the same bytes.
 */

/** The `id` of the OASIS SARIF 2.1.0 (errata 01) schema, as recommended for `$schema`. */
export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** Result level per severity: SARIF has three, apiguard four, so critical and high share `error`. */
export const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
};

/**
 * `security-severity` per severity, inside GitHub's bands (critical > 9.0, high 7.0–8.9,
 * medium 4.0–6.9, low 0.1–3.9) and away from their edges. A string, as GitHub's examples give it.
 */
export const SECURITY_SEVERITY: Record<Severity, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
};

/** Fingerprint name for `partialFingerprints`: versioned, so a change of meaning gets a new name. */
export const FINGERPRINT = 'apiguardFinding/v1';

const AXES: readonly { key: 'who' | 'where' | 'what' | 'when'; label: string }[] = [
  { key: 'who', label: 'Who (key)' },
  { key: 'where', label: 'Where (source IP)' },
  { key: 'what', label: 'What (method + path)' },
  { key: 'when', label: 'When (time, rate)' },
];

const cellWord = (c: Cell): string => (c === 'n/a' ? 'not looked at' : c);

/** `key-compromised` → `KeyCompromised`: SARIF's `name` is an identifier, not a sentence. */
const pascal = (id: string): string =>
  id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

function fullDescription(row: DecisionRow): string {
  const n = rowNumber(row.id);
  if (n === 0) {
    return (
      'Not a row of the decision table: a raw API key was written in the clear in the logs (a URL query ' +
      'parameter, a logged header, AWS identity.apiKey, an unhashed Tyk key). Anyone who can read the logs ' +
      `can use the key, whatever the request itself did. Possible cause: ${row.cause}. Severity ${row.severity}.`
    );
  }
  const cells = AXES.map((a) => `${a.label} ${cellWord(row[a.key])}`).join(', ');
  return (
    `Decision table row ${n}: ${cells}. Possible cause: ${row.cause}. Severity ${row.severity}, ` +
    'one step worse for requests the gateway let through (status below 400).'
  );
}

function rule(row: DecisionRow): Record<string, unknown> {
  return {
    id: row.id,
    name: pascal(row.id),
    shortDescription: { text: row.cause },
    fullDescription: { text: fullDescription(row) },
    help: { text: `Response: ${row.responses.join('; ')}.` },
    defaultConfiguration: { level: SARIF_LEVEL[row.severity] },
    properties: {
      tags: ['security', 'api-gateway', 'api-key'],
      'security-severity': SECURITY_SEVERITY[row.severity],
    },
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A file name as a SARIF artifact URI. SARIF requires a valid URI reference (RFC 3986; the schema
 * checks `uri-reference`), so the path as given is percent-encoded segment by segment: `/` stays
 * the separator, a space, `%`, `#`, `?`, a backslash, non-ASCII (the `…` of a masked key) and a
 * colon (which would make `a:b.log` read as a scheme) are encoded, and a consumer decodes them
 * back to the name every other output prints. A relative path stays relative, which is what GitHub
 * code scanning resolves against the checkout; an absolute path becomes a `file://` URI, as SARIF
 * asks for absolute locations. Standard input has no file: its name `<stdin>` is not a valid URI,
 * and encoded (`%3Cstdin%3E`) it still reads as `<stdin>` and cannot be mistaken for a real file
 * named `stdin`. Callers redact the name first, so masking sees it as given.
 */
export function artifactUri(name: string): string {
  // A lone surrogate cannot be percent-encoded (encodeURIComponent throws): show it as an escape.
  const whole = name.replace(LONE_SURROGATE, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
  const encoded = whole.split('/').map(encodeURIComponent).join('/');
  return name.startsWith('/') ? `file://${encoded}` : encoded;
}

const plural = (x: number, word: string): string => `${x} ${word}${x === 1 ? '' : 's'}`;

/** The first few reasons with their counts, and how many were left out. */
function reasonList(list: Counted[], other: number, show: number, r: Redactor): string {
  const items = list.slice(0, show).map((c) => `${c.count}× ${r.text(c.text)}`);
  const hidden = list.slice(show).reduce((sum, c) => sum + c.count, 0) + other;
  if (hidden > 0) items.push(`… and ${hidden} more`);
  return items.join('; ');
}

/** One sentence first (viewers show only that when space is short), then why. */
function message(i: Incident, r: Redactor): string {
  const outcome = [`${i.letThrough} let through by the gateway`, `${i.blocked} blocked`];
  if (i.unknownOutcome) outcome.push(`${i.unknownOutcome} with unknown status`);
  const why = reasonList(i.reasons, i.otherReasons, 3, r);
  return (
    `${i.cause}: ${severalKeys(i) ? '' : 'key '}${r.text(i.key)} from ${r.text(i.ip)}, ${plural(i.count, 'request')} (${outcome.join(', ')}).` +
    (why ? ` Why: ${why}.` : '')
  );
}

function physical(file: string, line: number, r: Redactor): Record<string, unknown> {
  return { artifactLocation: { uri: artifactUri(r.text(file)) }, region: { startLine: line } };
}

function result(i: Incident, ruleIndex: number, r: Redactor): Record<string, unknown> {
  const [first, ...rest] = i.evidence;
  const primary: Record<string, unknown> = {};
  if (first) primary.physicalLocation = physical(first.file, first.line, r);
  primary.logicalLocations = [{ name: r.text(i.key), kind: 'apiKey' }];
  const out: Record<string, unknown> = {
    ruleId: i.row,
    ruleIndex,
    level: SARIF_LEVEL[i.severity],
    message: { text: message(i, r) },
    locations: [primary],
  };
  // Ids keep the entries distinct (the schema wants unique items) when one line held two requests.
  if (rest.length > 0) out.relatedLocations = rest.map((e, n) => ({ id: n + 1, physicalLocation: physical(e.file, e.line, r) }));
  out.partialFingerprints = { [FINGERPRINT]: i.id };
  if (i.suppressed) {
    out.suppressions = [
      {
        kind: 'external',
        status: 'accepted',
        justification: r.text(i.suppressed.reason),
        properties: { owner: r.text(i.suppressed.owner), expires: i.suppressed.expires, at: r.text(i.suppressed.at) },
      },
    ];
  }
  out.properties = {
    id: i.id,
    severity: i.severity,
    firstSeen: isoUtc(i.firstSeen),
    lastSeen: isoUtc(i.lastSeen),
    count: i.count,
    letThrough: i.letThrough,
    blocked: i.blocked,
    unknownOutcome: i.unknownOutcome,
    tenant: r.text(i.tenant),
  };
  return out;
}

const sarif: Reporter = {
  meta: { name: 'sarif', description: 'SARIF 2.1.0 for code-scanning dashboards (one result per incident)', summaryToStderr: true },
  render(report, ctx) {
    const r = ctx.redact;
    const ruleIndex = new Map(FINDING_KINDS.map((k, n) => [k.id, n]));
    const doc = {
      $schema: SARIF_SCHEMA_URI,
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: 'apiguard',
              semanticVersion: report.summary.tool.version,
              rules: FINDING_KINDS.map(rule),
            },
          },
          automationDetails: { id: 'apiguard/' },
          results: report.incidents.map((i) => result(i, ruleIndex.get(i.row)!, r)),
        },
      ],
    };
    return JSON.stringify(doc, null, 2) + '\n';
  },
};

export default sarif;
