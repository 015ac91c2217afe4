import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The demo scenario (fixtures/demo/tyk-analytics.ndjson) as plain records, for renderers that
 * write the same requests in another log format. Each renderer in this folder exports
 * `render(records: DemoRecord[]): string | Buffer` giving a whole file in its format; the
 * cross-format test scans each with rules/demo-policy.yaml and expects the Tyk findings exactly.
 */
export interface DemoRecord {
  method: string;
  host: string;
  /** The client's path (Tyk original_path), possibly with the evasion spellings. */
  original_path: string;
  listen_path: string;
  raw_path: string;
  response_code: number;
  /** The key's murmur64 hash as Tyk logs it ('00000000' or '' for no key). */
  api_key: string;
  /** The key's alias ('' when none). */
  alias: string;
  timestamp: string;
  ip_address: string;
  user_agent: string;
  api_name: string;
  api_id: string;
  org_id: string;
  request_time: number;
}

export const DEMO_FILE = fileURLToPath(new URL('../../../fixtures/demo/tyk-analytics.ndjson', import.meta.url));

export function demoRecords(): DemoRecord[] {
  return readFileSync(DEMO_FILE, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as DemoRecord);
}

/** Key ids and aliases of the demo keys (rules/demo-policy.yaml), by the hash Tyk logs. */
export const DEMO_IDENTITIES: Record<string, { alias: string; id: string }> = {
  '3f9a1c0d7be24e51': { alias: 'soar-playbooks', id: 'ak7q2soarpb' },
  a1b2c3d4e5f60718: { alias: 'soar-enrichment', id: 'ak3v9enrich' },
  '9f2c4e6a8b0d1f35': { alias: 'alice', id: 'ak5alice01' },
  '5d7e9f1a3c5b7d92': { alias: 'bob', id: 'ak8bob0002' },
  c0ffee1234abcd56: { alias: 'carol', id: 'ak1carol03' },
  // the shadow key: known to the gateway, not to the inventory
  deadbeefcafef00d: { alias: '', id: 'ak0shadow9' },
};

/** The id a format that logs key ids would show for this record ('' when it carried no key). */
export function idOf(r: DemoRecord): string {
  return DEMO_IDENTITIES[r.api_key]?.id ?? '';
}
