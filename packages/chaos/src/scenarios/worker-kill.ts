// Worker SIGKILL mid-flush: two workers (a Deployment's replicas) write
// Parquet to the fake GCS, whose uploads are held 3 s; as soon as one upload
// has arrived (and is being held), worker 0 is SIGKILLed and restarted. Its
// unacked messages come back from Pub/Sub, so some events are written twice,
// in different files: the loader must keep one row each.
//
// One kill, with a second worker running, because of how the Pub/Sub emulator
// redelivers: it keeps a SIGKILLed subscriber's streams and goes on handing
// them batches of redelivered messages, which are lost again until their
// deadline (10 s) passes; a batch reaches a live stream with probability
// live/(live + dead) per 10 s cycle (measured by
// `node packages/chaos/src/probes/emulator-redelivery.ts`). With one worker
// killed twice, two thirds of the streams are dead and a batch misses the 60 s
// bound about 1 time in 11: the scenario would measure the emulator, not
// eventkit. Real Pub/Sub redelivers once the ack deadline passes.
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
    'worker 0 of 2 SIGKILLed while a Parquet upload is in flight (gcs sink; the fake GCS holds uploads 3 s), restarted',
  async run(ctx) {
    const startedAt = Date.now();
    const pipeline = pipelineFor(ctx, this.name, {
      pubsubHost: ctx.pubsubHost,
      sink: 'gcs',
      gcs: ctx.gcs,
      workers: 2,
    });
    await pipeline.start();
    const load = new Load(this.name);
    const sending = load.run(
      pipeline.urls().map((u) => load.client(u)),
      150,
      15_000,
    );
    const notes: string[] = [];
    await sleep(4000);
    // Every upload is held 3 s from now on; both workers flush every second,
    // so once uploads are seen being held and another flush interval has
    // passed, worker 0 has one in flight (which worker sent an upload cannot
    // be told from its request: the object name is in the multipart body).
    const before = uploads(ctx);
    ctx.gcs.faults.delayNext(1000, 3000, { path: UPLOAD });
    const deadline = Date.now() + 20_000;
    while (uploads(ctx) < before + 2 && Date.now() < deadline) await sleep(50);
    const held = uploads(ctx) - before;
    await sleep(1300);
    await pipeline.worker?.kill9();
    ctx.gcs.faults.clear();
    notes.push(`${held} uploads held when worker 0 was killed 1.3 s later (it flushes every second)`);
    await pipeline.startWorker();
    return finish(this, { pipeline, load, sending, startedAt, notes });
  },
};
