// What a scenario reports, and how it is measured once its fault is over:
// poll the warehouse until every acknowledged event is in (or the bound
// passes), then drain the pipeline (SIGTERM everything, a last loader run)
// and count again.
import type { Load } from './load.ts';
import type { Pipeline } from './pipeline.ts';
import { sleep } from './proc.ts';

export interface ScenarioResult {
  scenario: string;
  /** How the fault was injected. */
  fault: string;
  /** Events the SDK reported delivered (2xx). */
  acknowledged: number;
  /** Events the SDK gave up on (retries exhausted, 400): never acknowledged, so not owed. */
  client_gave_up: number;
  /** Acknowledged events in the warehouse at the end. */
  landed: number;
  /** Acknowledged events not in the warehouse even after the drain (gateways stopped, worker and loader up to 60 s more). */
  missing: number;
  /** Events with more than one row for (source, message_id). */
  duplicated: number;
  /** Acknowledged events not in the warehouse within the bound after the fault ended (they came only with the drain, or never). */
  stuck: number;
  /** Seconds from the fault's end until every event acknowledged by then was in the warehouse; null: not within the bound. */
  recover_s: number | null;
  /** HTTP statuses the senders saw (no_answer: refused, reset or timed out). */
  http: Record<string, number>;
  /** Events that landed though the client never heard a 2xx (a lost answer). */
  landed_unacknowledged: number;
  /** WAL rows still pending per gateway after the drain. */
  wal_pending_after: number[];
  notes: string[];
  ok: boolean;
  seconds: number;
}

export interface MeasureInput {
  scenario: string;
  fault: string;
  pipeline: Pipeline;
  load: Load;
  /** When the fault ended (ms since epoch). */
  faultEndedAt: number;
  /** Events acknowledged when the fault ended. */
  ackedAtFaultEnd: Set<string>;
  startedAt: number;
  boundMs?: number;
  notes?: string[];
  /** Extra HTTP statuses (hostile requests). */
  http?: Record<string, number>;
  /** Conditions that fail the scenario besides missing/duplicated/stuck. */
  failures?: string[];
}

const say = (line: string) => console.log(`chaos: ${line}`);

/** How long the drain waits for the last events before stopping the worker and the loader. */
const DRAIN_MS = 60_000;

export async function measure(m: MeasureInput): Promise<ScenarioResult> {
  const { pipeline, load } = m;
  const bound = m.boundMs ?? 60_000;
  const deadline = m.faultEndedAt + bound;
  let recover: number | null = null;
  let landed = new Map<string, number>();
  // What the last poll that began within the bound saw: what counts for `stuck`.
  let atBound = landed;
  // Within the bound: the pipeline as it is, after the fault.
  for (;;) {
    const pollStartedAt = Date.now();
    landed = (await pipeline.landed(load.prefix)) ?? landed;
    if (pollStartedAt <= deadline) atBound = landed;
    if (recover === null && [...m.ackedAtFaultEnd].every((id) => landed.has(id))) {
      recover = (pollStartedAt - m.faultEndedAt) / 1000;
    }
    const allIn = [...load.acked].every((id) => landed.has(id));
    // Past the bound it keeps watching up to 10 s more, for the recovery time only.
    if ((recover !== null && allIn) || Date.now() > deadline + 10_000) break;
    await sleep(1000);
  }
  const notInAtBound = [...load.acked].filter((id) => !atBound.has(id));
  say(
    `${m.scenario}: ${notInAtBound.length} acknowledged events not in the warehouse at the bound; draining`,
  );
  // The drain: the gateways publish what their WALs hold and exit; the worker and the loader keep
  // running until every acknowledged event is in, for at most 60 s (a message leased to a stream the
  // client lost comes back only when the subscription's 60 s ack deadline runs out), then stop.
  await pipeline.stopGateways();
  const drainDeadline = Date.now() + DRAIN_MS;
  while ([...load.acked].some((id) => !landed.has(id)) && Date.now() < drainDeadline) {
    await sleep(1000);
    landed = (await pipeline.landed(load.prefix)) ?? landed;
  }
  await pipeline.stopAll();
  const walPending = await pipeline.walPending();
  const final = (await pipeline.landed(load.prefix)) ?? landed;
  const missing = [...load.acked].filter((id) => !final.has(id));
  const duplicated = [...final.values()].filter((n) => n > 1).length;
  const stuck = notInAtBound.length;
  const landedAcked = [...load.acked].filter((id) => final.has(id)).length;
  const landedUnacked = [...final.keys()].filter((id) => !load.acked.has(id)).length;
  const notes = [...(m.notes ?? [])];
  if (missing.length > 0) notes.push(`missing ids (first 5): ${missing.slice(0, 5).join(', ')}`);
  const http = { ...load.statusCounts() };
  for (const [k, v] of Object.entries(m.http ?? {})) http[k] = (http[k] ?? 0) + v;
  const fiveXx = Object.entries(m.http ?? {})
    .filter(([k]) => /(^|:)5\d\d$/.test(k))
    .reduce((a, [, v]) => a + v, 0);
  const failures = [...(m.failures ?? [])];
  if (fiveXx > 0) failures.push(`${fiveXx} hostile requests answered 5xx`);
  for (const f of failures) notes.push(`FAIL: ${f}`);
  const ok = missing.length === 0 && duplicated === 0 && stuck === 0 && failures.length === 0;
  return {
    scenario: m.scenario,
    fault: m.fault,
    acknowledged: load.acked.size,
    client_gave_up: load.failed.size,
    landed: landedAcked,
    missing: missing.length,
    duplicated,
    stuck,
    recover_s: recover === null ? null : Math.round(recover * 10) / 10,
    http,
    landed_unacknowledged: landedUnacked,
    wal_pending_after: walPending,
    notes,
    ok,
    seconds: Math.round((Date.now() - m.startedAt) / 1000),
  };
}
