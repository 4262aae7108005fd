// The load generator of gateway.bench.ts, in a process of its own (so the
// benchmark's bookkeeping never shares its event loop): autocannon against one
// URL, bodies taken round-robin from a pool generated before the clock starts
// (fresh messageIds per body; the pool repeats after `pool` requests, which
// the gateway does not care about: it deduplicates nothing). Prints one JSON
// line with the result.
//
//   node load-process.ts '{"url":…,"shape":"single"|"batch100","connections":50,"seconds":5,"rate":0}'
import autocannon from 'autocannon';

interface LoadSpec {
  url: string;
  shape: 'single' | 'batch100';
  connections: number;
  seconds: number;
  /** Requests per second over all connections; 0: as fast as answered. */
  rate?: number;
  pool?: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
let seq = 0;
const event = () => ({
  type: 'track',
  event: 'Order Completed',
  userId: `user-${seq % 1000}`,
  messageId: `bench-${process.pid}-${seq++}`,
  timestamp: new Date().toISOString(),
  properties: {
    orderId: `o-${seq}`,
    revenue: 42.5,
    currency: 'EUR',
    products: [{ sku: 'sku-1', price: 42.5 }],
  },
  context: { library: { name: 'analytics-node', version: '3.1.0' }, ip: '203.0.113.9' },
});
const perRequest = spec.shape === 'single' ? 1 : 100;
const pool = Array.from({ length: spec.pool ?? (spec.shape === 'single' ? 5000 : 500) }, () =>
  spec.shape === 'single'
    ? JSON.stringify(event())
    : JSON.stringify({ batch: Array.from({ length: 100 }, event), sentAt: new Date().toISOString() }),
);
let next = 0;
const res = await autocannon({
  url: spec.url,
  method: 'POST',
  connections: spec.connections,
  duration: spec.seconds,
  ...(spec.rate ? { overallRate: spec.rate } : {}),
  headers: { 'content-type': 'application/json' },
  requests: [
    {
      setupRequest: (req: autocannon.Request) => ({ ...req, body: pool[next++ % pool.length] }),
    },
  ],
});
console.log(
  JSON.stringify({
    requestsPerSec: res.requests.average,
    eventsPerSec: res.requests.average * perRequest,
    p50ms: res.latency.p50,
    p99ms: res.latency.p99,
    non2xx: res.non2xx,
    errors: res.errors + res.timeouts,
  }),
);
