import type { DemoRecord } from './demo.js';

/**
 * The demo scenario as a MongoDB export of Tyk's analytics collection: one document per line, as
 * `mongoexport` writes relaxed Extended JSON, with the lower-case Go field names of a pump ≥ 1.16
 * record. Per record it keeps the time (BSON dates hold milliseconds: `{"$date":"…Z"}`), the
 * client IP as logged (`::ffff:` forms included), the method, the client's path
 * (`originalpath` = Tyk `original_path`, evasion spellings included, with `rawpath` and
 * `listenpath`), the status, the key hash (`apikey`) and the alias.
 */

/** `2026-11-19T00:02:02.620015776Z` → the instant in ms, truncated as a BSON date stores it. */
function bsonDate(ts: string): { $date: string } {
  const m = /^(.{19})(?:\.(\d+))?Z$/.exec(ts)!;
  return { $date: `${m[1]}.${(m[2] ?? '').padEnd(3, '0').slice(0, 3)}Z` };
}

export function render(records: DemoRecord[]): string {
  return records
    .map((r, i) => {
      const upstream = r.response_code === 401 || r.response_code === 429 ? 0 : Math.max(0, r.request_time - 1);
      const expire = new Date(Date.parse(bsonDate(r.timestamp).$date) + 7 * 86_400_000).toISOString();
      const doc = {
        _id: { $oid: `6740${(i + 1).toString(16).padStart(20, '0')}` },
        method: r.method,
        host: r.host,
        path: r.raw_path,
        rawpath: r.raw_path,
        contentlength: 0,
        useragent: r.user_agent,
        day: Number(r.timestamp.slice(8, 10)),
        month: Number(r.timestamp.slice(5, 7)),
        year: Number(r.timestamp.slice(0, 4)),
        hour: Number(r.timestamp.slice(11, 13)),
        responsecode: r.response_code,
        apikey: r.api_key,
        timestamp: bsonDate(r.timestamp),
        apiversion: 'Non Versioned',
        apiname: r.api_name,
        apiid: r.api_id,
        orgid: r.org_id,
        oauthid: '',
        requesttime: r.request_time,
        rawrequest: '',
        rawresponse: '',
        ipaddress: r.ip_address,
        geo: { country: { isocode: '' }, city: { geonameid: 0, names: null }, location: { latitude: 0, longitude: 0, timezone: '' } },
        network: { openconnections: 0, closedconnection: 0, bytesin: 0, bytesout: 0 },
        latency: { total: r.request_time, upstream, gateway: r.request_time - upstream },
        tags: [`key-${r.api_key}`, `org-${r.org_id}`, `api-${r.api_id}`],
        alias: r.alias,
        trackpath: false,
        expireAt: { $date: expire },
        originalpath: r.original_path,
        listenpath: r.listen_path,
      };
      return JSON.stringify(doc);
    })
    .join('\n')
    .concat('\n');
}
