import {
  DEFAULT_MAX_BATCH_EVENTS,
  DEFAULT_MAX_EVENT_BYTES,
  DEFAULT_MAX_REQUEST_BYTES,
} from '../../event/limits.ts';
import { SOURCE_NAME, setting } from './define.ts';
import { boolean, bytes, corsOrigins, integer, keyValueMap, oneOf, text } from './parsers.ts';

export const GATEWAY_HTTP_SETTINGS = {
  // ── Gateway HTTP ───────────────────────────────────────────────────────────
  host: setting({
    env: 'EVENTKIT_HOST',
    description:
      'Interface the HTTP server binds. All interfaces for the gateway (containers); loopback only for the local mode.',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: text({
      metavar: '<host>',
      expected: 'a host name or IP address',
      pattern: /^[A-Za-z0-9.:[\]-]+$/,
    }),
    default: (ctx) => (ctx.role === 'dev' ? '127.0.0.1' : '0.0.0.0'),
    defaultText: '0.0.0.0 (dev: 127.0.0.1)',
  }),
  port: setting({
    env: 'EVENTKIT_PORT',
    description: 'TCP port of the HTTP API (collect, Segment routes, health, ready, metrics).',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: integer(1, 65535),
    default: 8000,
  }),
  adminPort: setting({
    env: 'EVENTKIT_ADMIN_PORT',
    description:
      'TCP port of a second listener, on EVENTKIT_HOST, with /metrics, /health and /ready only. Set, /metrics leaves the public port (probes stay on both); unset, all of it is on EVENTKIT_PORT.',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: integer(1, 65535),
    optional: true,
    defaultText: '— (metrics on EVENTKIT_PORT)',
  }),
  writeKeys: setting({
    env: 'EVENTKIT_WRITE_KEYS',
    description:
      'Accepted write keys and the source each stands for: key1=source1,key2=source2. Unset: the gateway is open (as the seed) and events get source "default".',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: keyValueMap({
      expected: 'comma-separated key=source pairs',
      metavar: '<key=source,...>',
      valuePattern: SOURCE_NAME,
      valueExpected: 'source names are 1–64 letters, digits, ".", "_" or "-"',
    }),
    optional: true,
    secret: true,
    defaultText: '— (open: no key needed)',
  }),
  corsOrigins: setting({
    env: 'EVENTKIT_CORS_ORIGINS',
    description: 'Browser origins allowed by CORS: * (any) or a comma-separated list of origins.',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: corsOrigins(),
    default: ['*'],
  }),
  trustedProxyHops: setting({
    env: 'EVENTKIT_TRUSTED_PROXY_HOPS',
    description:
      "Proxies in front of the gateway whose X-Forwarded-For entries are trusted when filling context.ip: 0 uses the connection's address; behind Google's external Application Load Balancer, 2 (it appends the client's address and its own).",
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: integer(0, 16),
    default: 0,
  }),
  ipCapture: setting({
    env: 'EVENTKIT_IP_CAPTURE',
    description:
      'How the gateway fills context.ip of events that do not carry one: full (the address), truncate (IPv4 /24, IPv6 /48), or off. An ip the client sent is kept as sent.',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: oneOf(['full', 'truncate', 'off']),
    default: 'full',
  }),
  maxEventBytes: setting({
    env: 'EVENTKIT_MAX_EVENT_BYTES',
    description: 'Largest event (its JSON in UTF-8) accepted; larger ones are rejected (Segment: 32 KB).',
    group: 'Gateway HTTP',
    roles: ['gateway', 'worker'],
    parser: bytes(256, 10 * 1024 * 1024),
    default: DEFAULT_MAX_EVENT_BYTES,
  }),
  maxRequestBytes: setting({
    env: 'EVENTKIT_MAX_REQUEST_BYTES',
    description:
      'Largest request body after decompression; larger ones get 413 (Segment: 500 KB). Also caps gzip inflation.',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: bytes(1024, 64 * 1024 * 1024),
    default: DEFAULT_MAX_REQUEST_BYTES,
  }),
  maxBatchEvents: setting({
    env: 'EVENTKIT_MAX_BATCH_EVENTS',
    description: 'Most events in one request; more get 400 too_many_events (Segment: 2,500).',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: integer(1, 100_000),
    default: DEFAULT_MAX_BATCH_EVENTS,
  }),
  // The live events page (gateway/src/http/live): on in the local mode, which
  // listens on loopback; opt-in on the gateway, and only on its admin port.
  liveEvents: setting({
    env: 'EVENTKIT_LIVE_EVENTS',
    description:
      'Serve /live, a page of the last events as they arrive (accepted, or refused with the reason), from a bounded ring in memory. The gateway serves it on EVENTKIT_ADMIN_PORT only (never on the public port); eventkit-dev on its own port.',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: boolean(),
    default: (ctx) => ctx.role === 'dev',
    defaultText: 'false (dev: true)',
  }),
  liveEventsPayloads: setting({
    env: 'EVENTKIT_LIVE_EVENTS_PAYLOADS',
    description:
      'Show each event as sent (properties, traits, user ids) on /live. Off: only time, type, event name, source, stream, message id, status and reasons.',
    group: 'Gateway HTTP',
    roles: ['gateway'],
    parser: boolean(),
    default: false,
  }),
} as const;
