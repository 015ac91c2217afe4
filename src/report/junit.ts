import { severalKeys, type Counted, type Incident } from '../aggregate/incidents.js';
import { FINDING_KINDS, rowLabel, type DecisionRow } from '../judge/decision-table.js';
import { isoUtc } from '../normalise/time.js';
import type { Redactor } from './sanitize.js';
import type { Reporter, ScanReport } from './types.js';

/**
 * JUnit XML for CI dashboards (GitLab, Jenkins, Azure DevOps, GitHub test reporters): one
 * <testsuite> per finding kind, one <testcase> per incident failing with its severity as type. A
 * kind without incidents gets one passing testcase, so every suite shows that it ran; without a
 * key inventory (log-only checks) the rows that need What cannot occur, and their testcase is
 * skipped instead, so a dashboard does not show them as passed. A suppressed incident is skipped.
 * No times or timestamps: the same scan gives the same bytes.
 */

/**
 * Characters outside XML 1.0's `Char` production (C0 controls other than tab, LF and CR; lone
 * surrogates; U+FFFE and U+FFFF) make a document ill-formed. Log-derived text has already been
 * through `redact.text`, which turns controls into visible escapes, but this is the last line of
 * defence for anything else: such a character becomes a visible `\uXXXX` too.
 */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlChars(s: string): string {
  return s.replace(NOT_XML_CHAR, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
const ATTR_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;' };

/** Element content. `>` too (`]]>` is not allowed in text), and CR, which a parser would turn into LF. */
export function xmlText(s: string): string {
  return xmlChars(s).replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!);
}

/** An attribute value in double quotes. Tab and line breaks as references: a parser normalises them to spaces. */
export function xmlAttr(s: string): string {
  return xmlChars(s).replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ESCAPES[c]!);
}

const plural = (x: number, word: string): string => `${x} ${word}${x === 1 ? '' : 's'}`;

function countedLines(list: Counted[], other: number, r: Redactor): string[] {
  const lines = list.map((c) => `  ${c.count}× ${r.text(c.text)}`);
  if (other > 0) lines.push(`  … and ${other} more`);
  return lines;
}

function outcomes(i: Incident): string {
  const parts = [`${i.letThrough} let through`, `${i.blocked} blocked`];
  if (i.unknownOutcome) parts.push(`${i.unknownOutcome} status unknown`);
  return parts.join(', ');
}

/** Cause, response, the reasons, the actions and the evidence, one item per line. */
function details(i: Incident, r: Redactor): string {
  const lines = [
    `Cause: ${i.cause}`,
    `Response: ${i.responses.join('; ')}`,
    `Severity: ${i.severity}`,
    `Incident: ${i.id}`,
    `Key: ${r.text(i.key)}`,
    `Source IP: ${r.text(i.ip)}`,
  ];
  if (i.tenant) lines.push(`Tenant: ${r.text(i.tenant)}`);
  lines.push(
    `Requests: ${i.count} (${outcomes(i)})`,
    `Seen: ${isoUtc(i.firstSeen)} to ${isoUtc(i.lastSeen)}`,
    'Why:',
    ...countedLines(i.reasons, i.otherReasons, r),
    ...(severalKeys(i) ? ['Keys:', ...countedLines(i.keys, i.otherKeys, r)] : []),
    'Actions:',
    ...countedLines(i.actions, i.otherActions, r),
    ...(i.userAgents.length > 0 ? ['User agents:', ...countedLines(i.userAgents, i.otherUserAgents, r)] : []),
    i.count > i.evidence.length ? `Evidence (first ${i.evidence.length} of ${plural(i.count, 'request')}):` : 'Evidence:',
    ...i.evidence.map((e) => `  ${r.text(e.file)}:${e.line}`),
  );
  return lines.join('\n');
}

interface Case {
  xml: string;
  failed: boolean;
  skipped: boolean;
}

function incidentCase(i: Incident, r: Redactor): Case {
  const name = `${r.text(i.key)} from ${r.text(i.ip)}${i.tenant ? ` (tenant ${r.text(i.tenant)})` : ''}`;
  const open = `    <testcase classname="${xmlAttr(i.row)}" name="${xmlAttr(name)}">`;
  const body = xmlText(details(i, r));
  const s = i.suppressed;
  if (s) {
    const why = `suppressed until ${s.expires}: ${r.text(s.reason)} (${r.text(s.owner)}; ${r.text(s.at)})`;
    return { xml: `${open}\n      <skipped message="${xmlAttr(why)}">${body}</skipped>\n    </testcase>`, failed: false, skipped: true };
  }
  const message = `${i.severity}: ${i.cause} (${plural(i.count, 'request')}, ${i.letThrough} let through)`;
  return {
    xml: `${open}\n      <failure message="${xmlAttr(message)}" type="${xmlAttr(i.severity)}">${body}</failure>\n    </testcase>`,
    failed: true,
    skipped: false,
  };
}

/** Rows decided by an invalid What: never found without a key inventory, whose roles define What. */
const needsPolicy = (row: DecisionRow): boolean => row.what === 'invalid';

function emptyCase(row: DecisionRow, report: ScanReport): Case {
  const classname = xmlAttr(row.id);
  if (report.summary.checks.mode === 'log-only' && needsPolicy(row)) {
    const why = "not checked: What needs a policy (the actions each key's role allows)";
    return {
      xml: `    <testcase classname="${classname}" name="not checked">\n      <skipped message="${xmlAttr(why)}"/>\n    </testcase>`,
      failed: false,
      skipped: true,
    };
  }
  return { xml: `    <testcase classname="${classname}" name="no findings"/>`, failed: false, skipped: false };
}

const counts = (cases: Case[]): string =>
  `tests="${cases.length}" failures="${cases.filter((c) => c.failed).length}" errors="0" skipped="${cases.filter((c) => c.skipped).length}"`;

const junit: Reporter = {
  meta: { name: 'junit', description: 'JUnit XML for CI dashboards (a test suite per finding kind)', summaryToStderr: true },
  render(report, ctx) {
    const r = ctx.redact;
    const all: Case[] = [];
    const suites = FINDING_KINDS.map((row) => {
      const incidents = report.incidents.filter((i) => i.row === row.id);
      const cases = incidents.length > 0 ? incidents.map((i) => incidentCase(i, r)) : [emptyCase(row, report)];
      all.push(...cases);
      return [`  <testsuite name="${xmlAttr(rowLabel(row.id))}" ${counts(cases)}>`, ...cases.map((c) => c.xml), '  </testsuite>'].join('\n');
    });
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites name="apiguard" ${counts(all)}>`,
      ...suites,
      '</testsuites>',
      '',
    ].join('\n');
  },
};

export default junit;
