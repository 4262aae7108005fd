// The terminal a person runs eventkit-dev in: the banner, the live status
// line, and the log lines. A log line written while the status line is shown
// starts on a line of its own instead of being appended to it (the shutdown's
// `shutdown_requested` comes while it is shown): the status line stays above
// it, and the next tick draws it again below.
import { Writable } from 'node:stream';

export class Terminal {
  readonly out: NodeJS.WritableStream;
  /** The logger's destination. */
  readonly logs: Writable;
  #statusShown = false;

  constructor(out: NodeJS.WritableStream) {
    this.out = out;
    this.logs = new Writable({
      write: (chunk: Buffer | string, _encoding, done) => {
        this.endStatus();
        out.write(chunk);
        done();
      },
    });
  }

  /** Draws the status line over the previous one. */
  drawStatus(line: string): void {
    this.out.write(`\r\x1b[2K  ${line}`);
    this.#statusShown = true;
  }

  /** Ends a shown status line, so that what follows starts on its own line. */
  endStatus(): void {
    if (!this.#statusShown) return;
    this.out.write('\n');
    this.#statusShown = false;
  }
}
