/**
 * The canonical request: what every stage after `normalise` sees, whatever the log format.
 * Every field is always present (empty string / 0 when the log has nothing) so that V8 keeps one
 * object shape on the hot path.
 */
export interface Identity {
  /** The raw API key as presented. Secret: never printed, only matched and masked. */
  key: string;
  /** A hash of the key as logged (e.g. Tyk with hash_keys on). */
  hash: string;
  /** A non-secret key id (e.g. AWS identity.apiKeyId). */
  id: string;
  /** A human-readable alias the gateway attached to the key (e.g. Tyk alias). */
  alias: string;
}

export interface ApiRequest {
  /** Epoch milliseconds, UTC. */
  time: number;
  identity: Identity;
  /** Client IP in canonical text form (IPv4 dotted quad, IPv6 compressed lower case). */
  ip: string;
  /** Upper-case HTTP method. */
  method: string;
  /** Path the upstream acts on: decoded unreserved characters, no dot segments, no query. */
  path: string;
  /** HTTP status sent to the client; 0 when the log does not say. */
  status: number;
  latencyMs: number;
  userAgent: string;
  requestId: string;
  api: string;
  tenant: string;
  /** The format's own sign that the gateway rejected the request for authentication. */
  authFailure: boolean;
  /** Where the record shows a raw API key in the clear ('' when it does not), e.g. "query api_key". */
  exposedIn?: string;
  /** That raw key. Secret: never printed, only masked. */
  exposedKey?: string;
  /** Where the record came from, for evidence. */
  file: string;
  line: number;
}

/** Where a record sits in the input, carried with every skip and finding. */
export interface RecordLocation {
  file: string;
  line: number;
}
