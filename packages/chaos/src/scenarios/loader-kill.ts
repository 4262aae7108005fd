// Loader SIGKILL between load and ledger: the real loader CLI, with a preload
// that stops it inside the load transaction after the rows were inserted and
// before the ledger rows, is SIGKILLed there twice (two lives); then a plain
// loader takes over the same DuckDB file and the same lease.
import { fileURLToPath } from 'node:url';
import type { Scenario } from '../context.ts';
import { Load } from '../load.ts';
import { sleep } from '../proc.ts';
import { finish, pipelineFor } from '../scenario-kit.ts';

const HOOK = fileURLToPath(new URL('../hooks/loader-pause-before-ledger.ts', import.meta.url));

export const loaderKill: Scenario = {
  name: 'loader-kill',
  fault:
    'loader SIGKILLed 2× inside its load transaction, after the rows and before the ledger rows (a preload pauses it there)',
  async run(ctx) {
    const startedAt = Date.now();
    const pipeline = pipelineFor(ctx, this.name, {
      pubsubHost: ctx.pubsubHost,
    });
    const hooked = { NODE_OPTIONS: `--import=${HOOK}` };
    // Start with the hooked loader instead of the plain one.
    await pipeline.start({ loaderEnv: hooked });
    const load = new Load(this.name);
    const sending = load.run(
      pipeline.urls().map((u) => load.client(u)),
      150,
      15_000,
    );
    const notes: string[] = [];
    for (let k = 1; k <= 2; k++) {
      const loader = pipeline.loader;
      const deadline = Date.now() + 30_000;
      while (
        loader &&
        !loader.output().includes('chaos-hook: between-load-and-ledger') &&
        Date.now() < deadline
      ) {
        await sleep(100);
      }
      const paused = loader?.output().includes('chaos-hook: between-load-and-ledger') ?? false;
      notes.push(
        `life ${k}: ${paused ? 'paused between load and ledger, SIGKILLed' : 'never reached the ledger in 30 s, SIGKILLed'}`,
      );
      await loader?.kill9();
      await sleep(2000);
      if (k < 2) await pipeline.startLoader(hooked);
    }
    await pipeline.startLoader();
    return finish(this, { pipeline, load, sending, startedAt, notes });
  },
};
