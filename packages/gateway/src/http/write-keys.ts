// Write keys: which source a request belongs to.
//
// With EVENTKIT_WRITE_KEYS set (key → source name), a request must carry a
// known key, in any of the three places real clients put it: the Basic auth
// username (legacy analytics-node, rudder-sdk-node), `writeKey` in the body
// (analytics.js), or `?writeKey=` (the Rudder beacon). Keys are compared in
// constant time: every configured key is compared, as SHA-256 digests of
// equal length, with no early exit. Unset, the gateway is open (as the seed
// project is) and every event's source is `default`.
import { createHash, timingSafeEqual } from 'node:crypto';

export const OPEN_SOURCE = 'default';

export type KeyResolution = { ok: true; source: string } | { ok: false; message: string };

const digest = (key: string) => createHash('sha256').update(key).digest();

export class WriteKeys {
  readonly #keys: { digest: Buffer; source: string }[] | undefined;

  constructor(keys: Readonly<Record<string, string>> | undefined) {
    this.#keys =
      keys && Object.keys(keys).length > 0
        ? Object.entries(keys).map(([key, source]) => ({ digest: digest(key), source }))
        : undefined;
  }

  get open(): boolean {
    return this.#keys === undefined;
  }

  /** Resolves the first candidate present; an absent or unknown key is refused when keys are configured. */
  resolve(candidates: readonly (string | undefined)[]): KeyResolution {
    if (!this.#keys) return { ok: true, source: OPEN_SOURCE };
    const key = candidates.find((c) => c !== undefined && c.length > 0);
    if (key === undefined) {
      return {
        ok: false,
        message:
          'a write key is required: send it as the Basic auth username, as "writeKey" in the body, or as ?writeKey=',
      };
    }
    const d = digest(key);
    let source: string | undefined;
    for (const entry of this.#keys) {
      if (timingSafeEqual(entry.digest, d) && source === undefined) source = entry.source;
    }
    return source === undefined
      ? { ok: false, message: 'the write key is not known to this gateway' }
      : { ok: true, source };
  }
}

/** The username of `Authorization: Basic base64("<key>:")`, if any. */
export function basicAuthUser(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
  return user || undefined;
}
