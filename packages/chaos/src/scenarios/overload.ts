// Overload: a WAL high-water mark of 300 events (EVENTKIT_WAL_MAX_PENDING_EVENTS)
// and Pub/Sub unreachable for 15 s (the proxy), so the backlog passes the mark
// and the gateway answers 429 with Retry-After; the SDK waits as told. Then
// Pub/Sub comes back, the WAL drains and the 429s stop.
import type { Scenario } from '../context.ts';
import { Load } from '../load.ts';
import { measure } from '../measure.ts';
import { sleep } from '../proc.ts';
import { pipelineFor } from '../scenario-kit.ts';

export const overload: Scenario = {
  name: 'overload',
  fault:
    'WAL past its high-water mark (EVENTKIT_WAL_MAX_PENDING_EVENTS=300, Pub/Sub cut for 15 s): 429 + Retry-After, then recovery',
  async run(ctx) {
    const startedAt = Date.now();
    const pipeline = pipelineFor(ctx, this.name, {
      pubsubHost: ctx.proxy.host,
      gatewayEnv: { EVENTKIT_WAL_MAX_PENDING_EVENTS: '300' },
    });
    await pipeline.start();
    const load = new Load(this.name);
    const sending = load.run(
      pipeline.urls().map((u) => load.client(u)),
      100,
      28_000,
    );
    await sleep(5000);
    ctx.proxy.down();
    await sleep(15_000);
    ctx.proxy.up();
    const faultEndedAt = Date.now();
    const ackedAtFaultEnd = new Set(load.acked);
    let firstOkAfter: number | undefined;
    while (Date.now() - faultEndedAt < 20_000) {
      if (load.lastSuccessAt > faultEndedAt) {
        firstOkAfter = (load.lastSuccessAt - faultEndedAt) / 1000;
        break;
      }
      await sleep(200);
    }
    await sending;
    await load.close();
    const failures: string[] = [];
    if (!load.statuses[429]) failures.push('no 429 was seen: the high-water mark did not hold');
    const notes = [
      `first 2xx ${firstOkAfter === undefined ? 'not within 20 s' : `${firstOkAfter.toFixed(1)} s`} after Pub/Sub came back`,
      `the SDK gave up on ${load.failed.size} events`,
    ];
    return measure({
      scenario: this.name,
      fault: this.fault,
      pipeline,
      load,
      faultEndedAt,
      ackedAtFaultEnd,
      startedAt,
      notes,
      failures,
    });
  },
};
