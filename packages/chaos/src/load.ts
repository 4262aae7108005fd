// Load with real SDK behaviour: @segment/analytics-node 3.1.0 (batches of 25,
// retries on network errors, 408/429/5xx with backoff, 429 + Retry-After
// honoured without counting as a retry, 400 dropped). Every event carries a
// messageId the run chose, so each can be followed to the warehouse, and
// canaries (a user id, an email address, a property value, the write key)
// that must never show up in a log line.
import { Analytics } from '@segment/analytics-node';

export const CANARY = 'CANARY7f3a';
export const WRITE_KEY = `ck-wk-${CANARY}`;
export const SOURCE = 'chaos';
export const CANARY_EMAIL = `canary7f3a@chaos.example`;
/** Strings the log scan looks for: any hit is a leak. */
export const CANARY_PATTERNS = [CANARY, 'canary7f3a@', Buffer.from(`${WRITE_KEY}:`).toString('base64')];

export class Load {
  readonly acked = new Set<string>();
  readonly failed = new Set<string>();
  readonly statuses: Record<string, number> = {};
  sent = 0;
  #requests = 0;
  #responses = 0;
  #clients: Analytics[] = [];
  #seq = 0;
  #stopped = false;
  /** When the last 2xx arrived (ms since epoch). */
  lastSuccessAt = 0;
  readonly prefix: string;

  constructor(scenario: string) {
    this.prefix = `ck-${scenario}-`;
  }

  /** One SDK client per gateway URL. */
  client(url: string): Analytics {
    const a = new Analytics({
      writeKey: WRITE_KEY,
      host: url,
      flushAt: 25,
      flushInterval: 200,
      maxRetries: 10,
      httpRequestTimeout: 5000,
    });
    a.on('http_request', () => {
      this.#requests++;
    });
    a.on('http_response', (r) => {
      this.#responses++;
      this.statuses[r.status] = (this.statuses[r.status] ?? 0) + 1;
      if (r.status >= 200 && r.status < 300) this.lastSuccessAt = Date.now();
    });
    this.#clients.push(a);
    return a;
  }

  /** Sends `count` events through `client`. */
  send(client: Analytics, count: number): void {
    for (let i = 0; i < count; i++) {
      const n = ++this.#seq;
      const id = `${this.prefix}${n}`;
      this.sent++;
      client.track(
        {
          messageId: id,
          userId: `ck-user-${CANARY}-${n % 50}`,
          event: 'Chaos Tested',
          properties: { plan: `ck-prop-${CANARY}`, email: CANARY_EMAIL, seq: n },
          context: { traits: { email: CANARY_EMAIL } },
        },
        (err) => {
          if (err) this.failed.add(id);
          else this.acked.add(id);
        },
      );
    }
  }

  /** About `perSecond` events a second spread over the clients, until `ms` passed or stop(). */
  async run(clients: Analytics[], perSecond: number, ms: number): Promise<void> {
    const tick = 100;
    const perTick = Math.max(1, Math.round((perSecond * tick) / 1000));
    const end = Date.now() + ms;
    let i = 0;
    while (Date.now() < end && !this.#stopped) {
      const c = clients[i++ % clients.length];
      if (c) this.send(c, perTick);
      await new Promise((r) => setTimeout(r, tick));
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Waits until every client delivered or gave up (bounded). */
  async close(timeoutMs = 90_000): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.closeAndFlush({ timeout: timeoutMs })));
  }

  /** HTTP statuses, plus requests that got no answer (connection refused or reset, timeout). */
  statusCounts(): Record<string, number> {
    const noAnswer = this.#requests - this.#responses;
    return noAnswer > 0 ? { ...this.statuses, no_answer: noAnswer } : { ...this.statuses };
  }
}
