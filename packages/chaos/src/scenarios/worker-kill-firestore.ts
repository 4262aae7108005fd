// Worker SIGKILL under load with the firestore sink (Option B): the worker
// commits batches of documents to the Firestore emulator every second; it is
// SIGKILLed twice, 4 s apart, and restarted. Redelivered events overwrite
// their own documents (one per source and messageId); none may be missing.
import type { Scenario } from '../context.ts';
import { Load } from '../load.ts';
import { sleep } from '../proc.ts';
import { finish, pipelineFor } from '../scenario-kit.ts';

export const workerKillFirestore: Scenario = {
  name: 'worker-kill-firestore',
  fault:
    'worker with the firestore sink SIGKILLed 2× (4 s apart) while it commits to the Firestore emulator, restarted',
  async run(ctx) {
    const startedAt = Date.now();
    const pipeline = pipelineFor(ctx, this.name, {
      pubsubHost: ctx.pubsubHost,
      sink: 'firestore',
      firestoreHost: ctx.firestoreHost,
    });
    await pipeline.start();
    const load = new Load(this.name);
    const sending = load.run(
      pipeline.urls().map((u) => load.client(u)),
      150,
      12_000,
    );
    for (let k = 1; k <= 2; k++) {
      await sleep(4000);
      await pipeline.worker?.kill9();
      await pipeline.startWorker();
    }
    return finish(this, {
      pipeline,
      load,
      sending,
      startedAt,
      notes: ['landed = documents in the Firestore emulator (no loader: the firestore sink writes no files)'],
    });
  },
};
