// The live one-line status on a terminal (or a periodic log line otherwise):
// received · stored · loaded · dead-lettered · WAL pending.

import type { Gateway } from '@eventkit/gateway';
import type { Logger } from '@eventkit/shared/logging';
import type { Registry } from '@eventkit/shared/metrics';
import type { Worker } from '@eventkit/worker';
import type { Terminal } from './terminal.ts';

export interface StatusSources {
  gateway: Gateway;
  worker: Worker;
  registry: Registry;
}

export interface StatusCounts {
  received: number;
  stored: number;
  loaded: number;
  deadLettered: number;
  walPending: number;
}

const fmt = (n: number) => n.toLocaleString('en-US');

export class StatusLine {
  readonly #s: StatusSources;
  #timer: NodeJS.Timeout | undefined;

  constructor(sources: StatusSources) {
    this.#s = sources;
  }

  async #sum(name: string): Promise<number> {
    const metric = await this.#s.registry.getSingleMetric(name)?.get();
    return metric?.values.reduce((n, v) => n + v.value, 0) ?? 0;
  }

  /**
   * From counters in memory only: asking the loader for its ledger would open
   * the DuckDB file every second and lock out `eventkit-loader query`.
   */
  async counts(): Promise<StatusCounts> {
    const w = this.#s.worker.stats();
    return {
      received: await this.#sum('eventkit_gateway_events_accepted_total'),
      stored: w.events.written,
      loaded: await this.#sum('eventkit_loader_rows_inserted_total'),
      deadLettered: w.events.deadLettered,
      walPending: this.#s.gateway.wal.pendingCount,
    };
  }

  static render(c: StatusCounts): string {
    return `received ${fmt(c.received)} · stored ${fmt(c.stored)} · loaded ${fmt(c.loaded)} · dead-lettered ${fmt(c.deadLettered)} · WAL pending ${fmt(c.walPending)}`;
  }

  start(terminal: Terminal): void {
    const tick = async () => {
      const line = StatusLine.render(await this.counts());
      if (this.#timer) terminal.drawStatus(line);
    };
    this.#timer = setInterval(() => void tick(), 1000);
    void tick();
  }

  logEvery(ms: number, logger: Logger): void {
    this.#timer = setInterval(() => {
      void this.counts().then((c) => logger.info({ ...c }, 'dev_status'));
    }, ms);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
