// Worker SIGKILL under load with the firestore sink: two workers commit
// batches of documents to the Firestore emulator every second; worker 0 is
// SIGKILLed 4 s into the load and restarted. Redelivered events overwrite
// their own documents (one per source and messageId); none may be missing.
// One kill with a second worker running: see worker-kill.ts for why (the
// emulator keeps handing redeliveries to a killed worker's streams).
import type { Scenario } from '../context.ts';
import { Load } from '../load.ts';
import { sleep } from '../proc.ts';
import { finish, pipelineFor } from '../scenario-kit.ts';

export const workerKillFirestore: Scenario = {
  name: 'worker-kill-firestore',
  fault: 'worker 0 of 2 (firestore sink) SIGKILLed while it commits to the Firestore emulator, restarted',
  async run(ctx) {
    const startedAt = Date.now();
    const pipeline = pipelineFor(ctx, this.name, {
      pubsubHost: ctx.pubsubHost,
      sink: 'firestore',
      firestoreHost: ctx.firestoreHost,
      workers: 2,
    });
    await pipeline.start();
    const load = new Load(this.name);
    const sending = load.run(
      pipeline.urls().map((u) => load.client(u)),
      150,
      12_000,
    );
    await sleep(4000);
    await pipeline.worker?.kill9();
    await pipeline.startWorker();
    return finish(this, {
      pipeline,
      load,
      sending,
      startedAt,
      notes: ['landed = documents in the Firestore emulator (no loader: the firestore sink writes no files)'],
    });
  },
};
