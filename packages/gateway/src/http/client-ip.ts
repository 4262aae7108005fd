// The client's address, for context.ip. Each proxy appends the address it received the request
// from to X-Forwarded-For, so reading from the right: the connection's peer is hop 0, the last
// X-Forwarded-For entry hop 1, and so on. With EVENTKIT_TRUSTED_PROXY_HOPS = n the client is
// hop n (entries left of it were written by the client or proxies nobody vouches for, and are
// ignored). A list shorter than n gives its leftmost entry. An entry that is not an IP address
// gives no address: nothing is better than a wrong one.
import { isIP } from 'node:net';

export function clientIp(
  forwardedFor: string | undefined,
  peer: string | undefined,
  trustedHops: number,
): string | undefined {
  const hops = [
    peer,
    ...(forwardedFor ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .reverse(),
  ];
  if (trustedHops === 0) return address(peer);
  const chosen = hops.length > trustedHops ? hops[trustedHops] : hops.at(-1);
  return address(chosen);
}

/** An IP address as text, IPv4-mapped IPv6 (::ffff:a.b.c.d, what a dual-stack socket reports) as IPv4. */
function address(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(value)?.[1];
  const ip = mapped ?? value;
  return isIP(ip) === 0 ? undefined : ip;
}
