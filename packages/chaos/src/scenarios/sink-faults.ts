// The sink failing for 30 s: the worker writes Parquet to the fake GCS, which
// answers every upload 503 for 15 s, then holds every upload 20 s and drops
// the connection (a timeout as the client sees it) for 15 s more.
import type { Scenario } from '../context.ts';
import { Load } from '../load.ts';
import { sleep } from '../proc.ts';
import { finish, pipelineFor } from '../scenario-kit.ts';

const UPLOAD = /^\/upload\//;

export const sinkFaults: Scenario = {
  name: 'gcs-sink-faults',
  fault:
    'GCS uploads fail for 30 s: 15 s of 503, then 15 s of uploads held 20 s and reset (gcs sink, fake GCS faults)',
  async run(ctx) {
    const startedAt = Date.now();
    const pipeline = pipelineFor(ctx, this.name, {
      pubsubHost: ctx.pubsubHost,
      sink: 'gcs',
      gcs: ctx.gcs,
    });
    await pipeline.start();
    const load = new Load(this.name);
    const sending = load.run(
      pipeline.urls().map((u) => load.client(u)),
      100,
      40_000,
    );
    await sleep(5000);
    const injectedBefore = ctx.gcs.faults.injected;
    ctx.gcs.faults.failAlways({ path: UPLOAD, status: 503 });
    ctx.say('gcs-sink-faults: uploads answer 503');
    await sleep(15_000);
    ctx.gcs.faults.clear();
    ctx.gcs.faults.failAlways({ path: UPLOAD, reset: true, delayMs: 20_000 });
    ctx.say('gcs-sink-faults: uploads hang 20 s and reset');
    await sleep(15_000);
    ctx.gcs.faults.clear();
    const notes = [`${ctx.gcs.faults.injected - injectedBefore} upload requests failed by injection`];
    return finish(this, { pipeline, load, sending, startedAt, notes });
  },
};
