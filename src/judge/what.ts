import { VALID, invalid, type Verdict } from '../model/finding.js';
import type { ApiRequest } from '../model/request.js';
import type { KeyEntry } from '../policy/policy.js';

/** What: does the key's role allow `METHOD path` (and no deny pattern match it)? No role = anything. */
export function judgeWhat(req: ApiRequest, entry: KeyEntry): Verdict {
  if (entry.role === null) return VALID;
  const reason = entry.role.check(req.method, req.path);
  return reason === '' ? VALID : invalid(reason);
}
