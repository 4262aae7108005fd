// Hostile input interleaved with good events: while the SDK sends good events,
// raw-socket requests carry broken text, odd JSON, wrong types, bombs,
// truncated and slow bodies (src/hostile.ts), plus 20 slow clients at once.
// Never a 5xx, never a crash; the good events all land; what the gateway
// accepted from the hostile requests must not stop the worker or the loader.
import type { Scenario } from '../context.ts';
import { hostileCases, sendHostile } from '../hostile.ts';
import { Load } from '../load.ts';
import { measure } from '../measure.ts';
import { sleep } from '../proc.ts';
import { pipelineFor } from '../scenario-kit.ts';

function tally(statuses: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

export const hostile: Scenario = {
  name: 'hostile-input',
  fault:
    'hostile requests between good ones: lone surrogates, invalid UTF-8, NUL, 1k/10k/100k-deep nesting, huge numbers, 1 MB strings, wrong types, gzip bombs, truncated bodies, slow clients',
  async run(ctx) {
    const startedAt = Date.now();
    const pipeline = pipelineFor(ctx, this.name, {
      pubsubHost: ctx.pubsubHost,
    });
    await pipeline.start();
    const port = pipeline.gateways[0]?.port ?? 0;
    const load = new Load(this.name);
    const sending = load.run(
      pipeline.urls().map((u) => load.client(u)),
      100,
      25_000,
    );
    await sleep(2000);
    const perCase: string[] = [];
    const http: Record<string, number> = {};
    const count = (s: number) => {
      const key = `bad:${s === 0 ? 'no_answer' : s}`;
      http[key] = (http[key] ?? 0) + 1;
    };
    const cases = hostileCases();
    const slow = cases.find((c) => c.name === 'slow-body-10s');
    const slowClients = slow ? Array.from({ length: 20 }, () => sendHostile(port, slow, 30_000)) : [];
    for (const c of cases) {
      const status = await sendHostile(port, c);
      count(status);
      perCase.push(`${c.name}→${status || 'no answer'}`);
    }
    const slowStatuses = await Promise.all(slowClients);
    for (const s of slowStatuses) count(s);
    const faultEndedAt = Date.now();
    const ackedAtFaultEnd = new Set(load.acked);
    await sending;
    await load.close();
    const failures: string[] = [];
    const gw = pipeline.gateways[0]?.proc;
    if (gw?.exited()) failures.push(`the gateway exited (code ${gw.exitCode()})`);
    if (pipeline.worker?.exited()) failures.push(`the worker exited (code ${pipeline.worker.exitCode()})`);
    if (pipeline.loader?.exited()) failures.push(`the loader exited (code ${pipeline.loader.exitCode()})`);
    const health = await fetch(`http://127.0.0.1:${port}/health`)
      .then((r) => r.status)
      .catch(() => 0);
    if (health !== 200) failures.push(`/health answered ${health} after the hostile requests`);
    const notes = [
      `per case: ${perCase.join(', ')}`,
      `20 concurrent slow clients: ${JSON.stringify(tally(slowStatuses))}`,
    ];
    const result = await measure({
      scenario: this.name,
      fault: this.fault,
      pipeline,
      load,
      faultEndedAt,
      ackedAtFaultEnd,
      startedAt,
      notes,
      http,
      failures,
    });
    const hostileRows = await pipeline.landed('hx-');
    result.notes.push(`hostile events in the warehouse: ${hostileRows?.size ?? 'unknown'}`);
    return result;
  },
};
