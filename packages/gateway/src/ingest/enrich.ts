// Server-side enrichment, as Segment and RudderStack do: what the request itself tells about
// the client, added to each accepted event's context when the client did not say it.
//   context.ip         the client's address (http/client-ip.ts), per EVENTKIT_IP_CAPTURE
//   context.userAgent  the User-Agent header of a browser request ("Mozilla/…"); server SDKs'
//                      own User-Agents describe the library, not a user, and are not copied
// What the client sent is never overwritten. Dead letters keep the item as the client sent it.
import { isIP } from 'node:net';
import { isJsonObject, type SegmentEvent } from '@eventkit/shared/event';

export type IpCapture = 'full' | 'truncate' | 'off';

/** What enrichment adds to events that lack it. */
export interface RequestFacts {
  ip?: string;
  userAgent?: string;
}

/**
 * A User-Agent longer than this is not copied. With the ip it stays inside the 1 KiB the worker
 * allows an event beyond EVENTKIT_MAX_EVENT_BYTES for what the gateway adds (adapt.ts).
 */
export const MAX_USER_AGENT_CHARS = 512;

/** The facts of one request: the client's address as the setting allows, a browser's User-Agent. */
export function requestFacts(
  clientIp: string | undefined,
  userAgent: string | undefined,
  capture: IpCapture,
): RequestFacts {
  const facts: RequestFacts = {};
  if (clientIp !== undefined && capture !== 'off') {
    facts.ip = capture === 'truncate' ? truncateIp(clientIp) : clientIp;
  }
  if (userAgent?.startsWith('Mozilla/') && userAgent.length <= MAX_USER_AGENT_CHARS) {
    facts.userAgent = userAgent;
  }
  return facts;
}

/** The event with the facts its context lacks (a new context object; the event's own keys win). */
export function enrichEvent(event: SegmentEvent, facts: RequestFacts): SegmentEvent {
  if (facts.ip === undefined && facts.userAgent === undefined) return event;
  const context = event.context;
  if (context !== undefined && !isJsonObject(context)) return event;
  const added: Record<string, string> = {};
  if (facts.ip !== undefined && context?.ip === undefined) added.ip = facts.ip;
  if (facts.userAgent !== undefined && context?.userAgent === undefined) added.userAgent = facts.userAgent;
  if (Object.keys(added).length === 0) return event;
  return { ...event, context: { ...context, ...added } };
}

/** IPv4 to its /24 (last octet 0), IPv6 to its /48 (the rest zero), as analytics tools anonymise. */
export function truncateIp(ip: string): string {
  if (isIP(ip) === 4) return ip.replace(/\.\d+$/, '.0');
  const groups = expandIpv6(ip);
  return groups ? `${groups.slice(0, 3).join(':')}::` : ip;
}

function expandIpv6(ip: string): string[] | undefined {
  if (isIP(ip) !== 6 || ip.includes('.')) return undefined;
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => Number.parseInt(g, 16).toString(16));
}
