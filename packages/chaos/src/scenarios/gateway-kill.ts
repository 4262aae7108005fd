// Gateway SIGKILL ×3 under load: two gateways take SDK traffic; the first is
// SIGKILLed three times, 5 s apart, and restarted at once on the same WAL and
// port (as a StatefulSet pod would be). The SDK retries what got no answer.
import type { Scenario } from '../context.ts';
import { Load } from '../load.ts';
import { sleep } from '../proc.ts';
import { finish, pipelineFor } from '../scenario-kit.ts';

export const gatewayKill: Scenario = {
  name: 'gateway-kill',
  fault: 'gateway 0 of 2 SIGKILLed 3× (5 s apart) under load, restarted on the same WAL',
  async run(ctx) {
    const startedAt = Date.now();
    const pipeline = pipelineFor(ctx, this.name, {
      pubsubHost: ctx.pubsubHost,
      gateways: 2,
    });
    await pipeline.start();
    const load = new Load(this.name);
    const clients = pipeline.urls().map((u) => load.client(u));
    const sending = load.run(clients, 200, 22_000);
    const notes: string[] = [];
    for (let k = 1; k <= 3; k++) {
      await sleep(5000);
      const g = pipeline.gateways[0];
      await g?.proc?.kill9();
      const t = Date.now();
      await pipeline.startGateway(0);
      notes.push(`kill ${k}: restarted and healthy after ${((Date.now() - t) / 1000).toFixed(1)} s`);
      ctx.say(`gateway-kill: kill ${k} done`);
    }
    return finish(this, { pipeline, load, sending, startedAt, notes });
  },
};
