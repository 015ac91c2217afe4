import { VALID, invalid, type Verdict } from '../model/finding.js';
import type { ApiRequest } from '../model/request.js';
import { hasAnyIdentity, unknownIdentityLabel } from '../normalise/identity.js';
import { isoUtc } from '../normalise/time.js';
import type { KeyEntry } from '../policy/policy.js';

/**
 * Who: is this a valid key? Invalid when the request carries no key, a key the inventory does
 * not know, or a key at or after its `revoked` / `expires` instant. (Without an inventory the
 * Judge uses the log-only checks instead.)
 */
export function judgeWho(req: ApiRequest, entry: KeyEntry | undefined): Verdict {
  if (!entry) {
    if (!hasAnyIdentity(req.identity)) return invalid('the request carried no API key', 'no API key');
    return invalid(`${unknownIdentityLabel(req.identity)} is not in the key inventory`, 'key not in the inventory');
  }
  if (req.time >= entry.revokedAt) {
    const at = isoUtc(entry.revokedAt);
    return invalid(`${entry.name} was revoked at ${at}`, `used after revocation at ${at}`);
  }
  if (req.time >= entry.expiresAt) {
    const at = isoUtc(entry.expiresAt);
    return invalid(`${entry.name} expired at ${at}`, `used after expiry at ${at}`);
  }
  return VALID;
}
