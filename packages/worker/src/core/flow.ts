// Flow and pressure accounting: what the worker holds (messages and their
// bytes, from delivery to ack or nack), and the "pressure" flush.
//
// The worker holds a message until its events are written, so once it holds
// flowControl.maxMessages messages (or maxBytes) the subscriber delivers
// nothing more until something is acked. Waiting for the flush interval then
// only adds latency: the pressure check flushes every partition at once
// instead, when no flush is already running (one would free messages anyway).
import type { FlowControl } from '@eventkit/shared/ports';
import type { Batcher } from './batcher.ts';

export class Flow {
  readonly #limits: FlowControl;
  #messages = 0;
  #bytes = 0;
  /** Size of the latest message: the subscriber cannot deliver one more like it when bytes + this > maxBytes. */
  #lastBytes = 0;
  #check: NodeJS.Immediate | undefined;
  #closed = false;

  constructor(limits: FlowControl) {
    this.#limits = limits;
  }

  get messages(): number {
    return this.#messages;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** A message was delivered: it is held until end(). */
  begin(size: number): void {
    this.#messages++;
    this.#bytes += size;
    this.#lastBytes = size;
  }

  /** The message was acked or nacked. */
  end(size: number): void {
    this.#messages--;
    this.#bytes -= size;
  }

  /** True when the subscriber cannot deliver more until something is acked. */
  get starved(): boolean {
    const { maxMessages, maxBytes } = this.#limits;
    return this.#messages >= maxMessages || this.#bytes + this.#lastBytes > maxBytes;
  }

  /** Schedules (once per turn of the event loop) a pressure flush of `batcher` if the worker is starved. */
  schedulePressureCheck(batcher: Batcher): void {
    if (this.#check || this.#closed) return;
    this.#check = setImmediate(() => {
      this.#check = undefined;
      if (this.#closed || this.#messages === 0) return;
      if (this.starved && batcher.flushing === 0 && batcher.buffered > 0) batcher.flushAll('pressure');
    });
  }

  /** No more pressure checks (the worker is stopping and flushes everything itself). */
  close(): void {
    this.#closed = true;
    if (this.#check) clearImmediate(this.#check);
    this.#check = undefined;
  }
}
