import { skip } from '../model/skip.js';
import { isNoKey, isTykKeyHash } from '../normalise/identity.js';
import { normalisePath } from '../normalise/path.js';
import { defineFormat } from './define-format.js';
import { clientIp, int, isoTime, ownText, ownValue, str, upper } from './fields.js';

/**
 * Tyk analytics records as tyk-pump writes them to JSON sinks (stdout, Kafka, file): one
 * AnalyticsRecord per line, either bare or wrapped by the stdout pump under `tyk-analytics-record`.
 * Field knowledge: shared/research/log-formats.md §1.
 */

const WRAPPER = 'tyk-analytics-record';
/** What almost every record exposes: one shared list, not a new one per record. */
const NO_EXPOSURES: { where: string; value: string }[] = Object.freeze([]) as unknown as { where: string; value: string }[];

function unwrap(record: Record<string, unknown>): Record<string, unknown> {
  const inner = record[WRAPPER];
  return typeof inner === 'object' && inner !== null && !Array.isArray(inner) ? (inner as Record<string, unknown>) : record;
}

/**
 * The path the client asked for. `raw_path` and `path` are after listen-path stripping (and
 * `path` may be a tracked-endpoint template), so prefer `original_path` (pump ≥ 1.16), else
 * rebuild it from `listen_path` + `raw_path`.
 */
function clientPath(r: Record<string, unknown>): string {
  const original = str(r.original_path);
  if (original !== '') return original;
  const raw = str(r.raw_path) || str(r.path);
  const listen = str(r.listen_path);
  if (listen !== '' && listen !== '/' && raw !== '' && !raw.startsWith(listen)) {
    return listen.replace(/\/+$/, '') + (raw.startsWith('/') ? raw : `/${raw}`);
  }
  return raw;
}

export default defineFormat({
  meta: {
    name: 'tyk-analytics',
    description: 'Tyk analytics records (tyk-pump JSON: stdout, Kafka, file; bare or stdout-wrapped)',
    container: 'json',
  },

  reads: [WRAPPER, 'timestamp', 'ip_address', 'method', 'original_path', 'raw_path', 'path', 'listen_path', 'api_key', 'response_code', 'alias', 'request_time', 'user_agent', 'api_name', 'api_id', 'org_id'],

  detect(record) {
    const r = unwrap(record);
    return 'api_key' in r && 'response_code' in r && ('ip_address' in r || 'raw_path' in r) && 'timestamp' in r;
  },

  normalise(record, file, line) {
    const r = unwrap(record);
    const time = isoTime(r.timestamp);
    if (typeof time !== 'number') return time;
    const ip = clientIp(r.ip_address);
    if (typeof ip !== 'string') return ip;
    const method = upper(str(r.method));
    if (method === '') return skip('missing-method');
    const rawPath = clientPath(r);
    if (rawPath === '') return skip('missing-path');
    // api_key is the key's hash when the gateway hashes keys (hex of a murmur/sha256 width), else the raw key.
    const apiKey = str(r.api_key);
    const isHash = isTykKeyHash(apiKey);
    const status = int(r.response_code);
    const alias = str(r.alias);
    return ownText({
      time,
      identity: { key: isHash ? '' : apiKey, hash: isHash ? apiKey : '', id: '', alias },
      ip,
      method,
      path: normalisePath(rawPath),
      status,
      latencyMs: int(r.request_time),
      userAgent: str(r.user_agent),
      requestId: '',
      api: str(r.api_name) || str(r.api_id),
      tenant: str(r.org_id),
      // Tyk records no reason; a 401 (no key) or a 403 with no session attached (unknown key) is an auth failure.
      authFailure: status === 401 || (status === 403 && isNoKey(apiKey) && alias === ''),
      file,
      line,
    }, record);
  },

  exposures(record) {
    // With hash_keys off Tyk writes the raw key into every analytics record: into the SIEM.
    const apiKey = str(unwrap(record).api_key);
    return apiKey !== '' && !isNoKey(apiKey) && !isTykKeyHash(apiKey) ? [{ where: 'api_key: the gateway logs raw keys (hash_keys off)', value: ownValue(apiKey, record) }] : NO_EXPOSURES;
  },
});
