// Pub/Sub outage: the gateway and the worker reach the emulator through the
// TCP proxy, which for 30 s resets every connection, open or new. The gateway
// keeps acknowledging into its WAL; afterwards its WAL relay and the worker's
// subscriber must find their way back by themselves.
import type { Scenario } from '../context.ts';
import { Load } from '../load.ts';
import { sleep } from '../proc.ts';
import { finish, pipelineFor } from '../scenario-kit.ts';

export const pubsubOutage: Scenario = {
  name: 'pubsub-outage',
  fault:
    'Pub/Sub unreachable for 30 s (a TCP proxy in front of the emulator resets every connection), then back',
  async run(ctx) {
    const startedAt = Date.now();
    const pipeline = pipelineFor(ctx, this.name, {
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
    return finish(this, { pipeline, load, sending, startedAt });
  },
};
