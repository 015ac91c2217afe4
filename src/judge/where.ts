import { VALID, invalid, type Verdict } from '../model/finding.js';
import type { ApiRequest } from '../model/request.js';
import type { KeyEntry } from '../policy/policy.js';

/** Where: is the source IP inside one of the key's `from` networks? No `from` = anywhere. */
export function judgeWhere(req: ApiRequest, entry: KeyEntry): Verdict {
  if (entry.from === null || entry.from.contains(req.ip)) return VALID;
  const networks = entry.from.labels.join(', ');
  return invalid(`${req.ip} is not in ${networks}`, `source not in ${networks}`);
}
