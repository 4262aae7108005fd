// What every scenario does around its fault: build the pipeline in its own
// directory, and, once the fault is over, note what was acknowledged by then,
// let the load finish and measure.
import type { ChaosContext, Scenario } from './context.ts';
import type { Load } from './load.ts';
import { type MeasureInput, measure } from './measure.ts';
import { Pipeline, type PipelineOptions } from './pipeline.ts';

/** A pipeline for `scenario` in the context's directory and log book. */
export function pipelineFor(
  ctx: ChaosContext,
  scenario: string,
  options: Omit<PipelineOptions, 'scenario' | 'dir' | 'book'>,
): Pipeline {
  return new Pipeline({ scenario, dir: ctx.dir, book: ctx.book, ...options });
}

/** The moment the fault ended and the events acknowledged by then. */
export function faultEnd(load: Load): Pick<MeasureInput, 'faultEndedAt' | 'ackedAtFaultEnd'> {
  return { faultEndedAt: Date.now(), ackedAtFaultEnd: new Set(load.acked) };
}

/**
 * Ends a scenario whose fault is over now (or at `end`, taken earlier): waits
 * for the load to finish sending, closes it, and measures.
 */
export async function finish(
  scenario: Scenario,
  run: { pipeline: Pipeline; load: Load; sending: Promise<unknown>; startedAt: number } & Partial<
    Pick<MeasureInput, 'notes' | 'http' | 'failures' | 'faultEndedAt' | 'ackedAtFaultEnd'>
  >,
): Promise<Awaited<ReturnType<typeof measure>>> {
  const end = run.faultEndedAt !== undefined && run.ackedAtFaultEnd ? run : faultEnd(run.load);
  await run.sending;
  await run.load.close();
  const { sending: _s, faultEndedAt: _f, ackedAtFaultEnd: _a, ...rest } = run;
  return measure({
    scenario: scenario.name,
    fault: scenario.fault,
    ...rest,
    faultEndedAt: end.faultEndedAt as number,
    ackedAtFaultEnd: end.ackedAtFaultEnd as Set<string>,
  });
}
