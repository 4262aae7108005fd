// Throughput of validateEvent on a typical ~400-byte track event, on one core.
//
//   node packages/shared/src/event/validate.bench.ts
//
// Not a test: timings depend on the machine. The gateway validates every event
// on its event loop, so this is the per-event CPU budget it spends here.

import { normalizeEvent } from './normalize.ts';
import { segmentNodeTrack } from './test-payloads.ts';
import { validateEvent } from './validate.ts';

const event = segmentNodeTrack();
const bytes = Buffer.byteLength(JSON.stringify(event));
const ROUNDS = 5;
const PER_ROUND = 500_000;

function perSecond(run: () => unknown): number {
  for (let i = 0; i < 50_000; i++) run(); // warm up the JIT
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < PER_ROUND; i++) run();
    rates.push(PER_ROUND / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return rates.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] ?? 0;
}

const receivedAt = new Date();
const report = {
  eventBytes: bytes,
  'validateEvent (serialises once to measure)': perSecond(() => validateEvent(event)),
  'validateEvent ({ measuredBytes })': perSecond(() => validateEvent(event, { measuredBytes: bytes })),
  'validateEvent + normalizeEvent': perSecond(() => {
    const result = validateEvent(event);
    return result.ok ? normalizeEvent(result.event, { receivedAt }) : undefined;
  }),
};
for (const [name, value] of Object.entries(report)) {
  console.log(`${name}: ${Math.round(value).toLocaleString('en-US')}${name === 'eventBytes' ? '' : ' /s'}`);
}
