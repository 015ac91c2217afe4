import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { scan } from '../../src/pipeline/scan.js';
import { loadPolicy } from '../../src/policy/load.js';
import { expandInputs } from '../../src/read/sources.js';
import { DEMO_FILE, demoRecords, type DemoRecord } from '../helpers/render/demo.js';

/**
 * The same requests, written in every format that carries key identities, must give the same
 * findings as the Tyk original: this is what makes a verdict independent of where the logs came
 * from. Every renderer in test/helpers/render/ takes part.
 */
const RENDER_DIR = fileURLToPath(new URL('../helpers/render/', import.meta.url));
const renderers = readdirSync(RENDER_DIR).filter((f) => f.endsWith('.ts') && f !== 'demo.ts').sort();
const tmp = mkdtempSync(join(tmpdir(), 'apiguard-cross-'));
const policy = loadPolicy(fileURLToPath(new URL('../../rules/demo-policy.yaml', import.meta.url)));

/** What must not depend on the format. Unknown keys are named by what the format logs (hash or id), so their label is left out. */
function comparable(f: Finding): string {
  const r = f.request;
  const known = !f.keyLabel.includes('…') && f.keyLabel !== '(no key)';
  return [new Date(r.time).toISOString(), f.row, f.severity, r.ip, r.method, r.path, r.status, known ? f.keyLabel : '(unknown)'].join(' ');
}

async function findingsOf(file: string): Promise<string[]> {
  const out: Finding[] = [];
  await scan({ sources: expandInputs([file]), policy, reorderWindowMs: 300_000, onFinding: (f) => out.push(f) });
  return out.filter((f) => f.row !== 'key-exposed').map(comparable).sort();
}

describe('the demo scenario gives the same findings in every format', () => {
  let reference: string[] = [];
  beforeAll(async () => {
    reference = await findingsOf(DEMO_FILE);
  });

  it('has renderers to compare (one per format family that logs key identities)', () => {
    expect(renderers.length).toBeGreaterThanOrEqual(1);
    expect(reference).toHaveLength(103);
  });

  it.each(renderers)('%s', async (file) => {
    const mod = (await import(join(RENDER_DIR, file))) as { render: (records: DemoRecord[]) => string | Buffer };
    const out = join(tmp, file.replace(/\.ts$/, file.includes('csv') ? '.csv' : '.log'));
    writeFileSync(out, mod.render(demoRecords()));
    expect(await findingsOf(out)).toEqual(reference);
  });
});
