// Pub/Sub outage: the gateway and the worker reach the emulator through the
// TCP proxy, which for 30 s resets every connection, open or new. The gateway
// keeps acknowledging into its WAL; afterwards its publisher and the worker's
// subscriber must find their way back by themselves.
import type { Scenario } from '../context.ts';
import { Load } from '../load.ts';
import { measure } from '../measure.ts';
import { Pipeline } from '../pipeline.ts';
import { sleep } from '../proc.ts';

export const pubsubOutage: Scenario = {
  name: 'pubsub-outage',
  fault:
    'Pub/Sub unreachable for 30 s (a TCP proxy in front of the emulator resets every connection), then back',
  async run(ctx) {
    const startedAt = Date.now();
    const pipeline = new Pipeline({
      scenario: this.name,
      dir: ctx.dir,
      book: ctx.book,
      pubsubHost: ctx.proxy.host,
    });
    await pipeline.start();
    const load = new Load(this.name);
    const sending = load.run(
      pipeline.urls().map((u) => load.client(u)),
      100,
      40_000,
    );
    await sleep(5000);
    ctx.proxy.down();
    ctx.say('pubsub-outage: proxy down');
    await sleep(30_000);
    ctx.proxy.up();
    ctx.say('pubsub-outage: proxy up');
    const faultEndedAt = Date.now();
    const ackedAtFaultEnd = new Set(load.acked);
    await sending;
    await load.close();
    return measure({
      scenario: this.name,
      fault: this.fault,
      pipeline,
      load,
      faultEndedAt,
      ackedAtFaultEnd,
      startedAt,
    });
  },
};
