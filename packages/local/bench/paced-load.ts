// The load generator of pipeline-latency.bench.ts, in a process of its own: single Segment
// track events at a fixed rate (request i is due at start + i / rate; a connection that falls
// behind sends at once), each with its own messageId (`<prefix>-<i>`), recording the wall-clock
// time of each 2xx. Writes the acknowledgement times to `out` as JSON ([index, ackMs][]) and
// prints one JSON line with the counts.
//
//   node paced-load.ts '{"url":…,"rate":1000,"seconds":20,"connections":20,"prefix":"e2e","out":"acks.json"}'
import { writeFileSync } from 'node:fs';

interface PacedSpec {
  url: string;
  rate: number;
  seconds: number;
  connections: number;
  prefix: string;
  out: string;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as PacedSpec;
const total = Math.round(spec.rate * spec.seconds);
const acks: [number, number][] = [];
let next = 0;
let non2xx = 0;
let errors = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const body = (i: number) =>
  JSON.stringify({
    type: 'track',
    event: 'Order Completed',
    userId: `user-${i % 1000}`,
    messageId: `${spec.prefix}-${i}`,
    timestamp: new Date().toISOString(),
    properties: { orderId: `o-${i}`, revenue: 42.5, currency: 'EUR' },
    context: { library: { name: 'analytics-node', version: '3.1.0' } },
  });

async function connection(start: number): Promise<void> {
  for (;;) {
    const i = next++;
    if (i >= total) return;
    const due = start + (i * 1000) / spec.rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    try {
      const res = await fetch(spec.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body(i),
      });
      await res.arrayBuffer();
      if (res.ok) acks.push([i, Date.now()]);
      else non2xx += 1;
    } catch {
      errors += 1;
    }
  }
}

const start = Date.now() + 100;
await Promise.all(Array.from({ length: spec.connections }, () => connection(start)));
const seconds = (Date.now() - start) / 1000;
writeFileSync(spec.out, JSON.stringify(acks));
console.log(
  JSON.stringify({ sent: total, acked: acks.length, non2xx, errors, seconds, rate: total / seconds }),
);
