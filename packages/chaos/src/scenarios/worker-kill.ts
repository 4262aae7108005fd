// Worker SIGKILL mid-flush: the worker writes Parquet to the fake GCS, whose
// uploads are held 3 s; as soon as one upload has arrived (and is being held),
// the worker is SIGKILLed and restarted. Twice. Its unacked messages come back
// from Pub/Sub, so some events are written twice, in different files: the
// loader must keep one row each.
import type { Scenario } from '../context.ts';
import { Load } from '../load.ts';
import { sleep } from '../proc.ts';
import { finish, pipelineFor } from '../scenario-kit.ts';

const UPLOAD = /^\/upload\//;

const uploads = (ctx: { gcs: { requests: { path: string }[] } }) =>
  ctx.gcs.requests.filter((r) => UPLOAD.test(r.path)).length;

export const workerKill: Scenario = {
  name: 'worker-kill',
  fault:
    'worker SIGKILLed 2× while a Parquet upload is in flight (gcs sink; the fake GCS holds uploads 3 s), restarted',
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
      150,
      15_000,
    );
    const notes: string[] = [];
    for (let k = 1; k <= 2; k++) {
      await sleep(4000);
      const before = uploads(ctx);
      ctx.gcs.faults.delayNext(1000, 3000, { path: UPLOAD });
      const deadline = Date.now() + 20_000;
      while (uploads(ctx) === before && Date.now() < deadline) await sleep(50);
      const inFlight = uploads(ctx) > before;
      await sleep(300);
      await pipeline.worker?.kill9();
      ctx.gcs.faults.clear();
      notes.push(`kill ${k}: ${inFlight ? 'an upload was in flight' : 'no upload seen in 20 s'}`);
      await pipeline.startWorker();
    }
    return finish(this, { pipeline, load, sending, startedAt, notes });
  },
};
