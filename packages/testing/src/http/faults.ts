// Fault injection shared by the fake servers: make the next N matching requests
// fail (an HTTP error in Google's JSON error format, or a reset connection) or
// answer late, and add latency to every request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { googleErrorBody, sleep } from './server-kit.ts';

export interface RequestInfo {
  method: string;
  path: string;
  query: Record<string, string>;
}

/** Which requests a fault applies to. Every given field must match; none given matches all. */
export interface RequestMatcher {
  /** HTTP method, case-insensitive. */
  method?: string;
  /** A substring of the path, or a RegExp tested against it. */
  path?: string | RegExp;
  when?: (req: RequestInfo) => boolean;
}

export interface FaultSpec extends RequestMatcher {
  /** HTTP status to answer with; default 503. */
  status?: number;
  /** `error.errors[0].reason`; defaults to the usual reason for the status (503 → backendError). */
  reason?: string;
  /** `error.errors[0].domain`; default `global`. */
  domain?: string;
  message?: string;
  /** A complete response body, sent instead of the generated Google error body. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Destroy the connection without answering (a network error) instead of sending a status. */
  reset?: boolean;
  /** Wait this long before failing. */
  delayMs?: number;
}

const DEFAULT_REASON: Record<number, string> = {
  400: 'invalid',
  401: 'required',
  403: 'forbidden',
  404: 'notFound',
  409: 'conflict',
  412: 'conditionNotMet',
  429: 'rateLimitExceeded',
  500: 'backendError',
  502: 'backendError',
  503: 'backendError',
  504: 'timeout',
};

interface Rule {
  remaining: number;
  spec: FaultSpec;
  /** Delay-only rule: answer normally after `spec.delayMs`. */
  delayOnly: boolean;
}

export function matches(m: RequestMatcher, req: RequestInfo): boolean {
  if (m.method && m.method.toUpperCase() !== req.method.toUpperCase()) return false;
  if (typeof m.path === 'string' && !req.path.includes(m.path)) return false;
  if (m.path instanceof RegExp && !m.path.test(req.path)) return false;
  if (m.when && !m.when(req)) return false;
  return true;
}

export class Faults {
  /** Added before every answer (also to injected faults). */
  latencyMs = 0;
  /** How many requests were answered by a fault so far. */
  injected = 0;
  #rules: Rule[] = [];

  /** The next `count` requests matching `spec` fail as `spec` says (default: 503 backendError). */
  failNext(count: number, spec: FaultSpec = {}): void {
    this.#rules.push({ remaining: count, spec, delayOnly: false });
  }

  /** Every matching request fails until `clear()`. */
  failAlways(spec: FaultSpec = {}): void {
    this.failNext(Number.POSITIVE_INFINITY, spec);
  }

  /** The next `count` matching requests are answered normally, but only after `ms`. */
  delayNext(count: number, ms: number, matcher: RequestMatcher = {}): void {
    this.#rules.push({ remaining: count, spec: { ...matcher, delayMs: ms }, delayOnly: true });
  }

  /** Removes every pending rule and resets the latency. */
  clear(): void {
    this.#rules = [];
    this.latencyMs = 0;
  }

  /** Rules that still have requests to fail or delay. */
  get pending(): number {
    return this.#rules.filter((r) => r.remaining > 0).length;
  }

  /**
   * Applies latency and the first matching rule. Returns the status it answered
   * with (0 for a reset), or undefined when the request should proceed normally.
   */
  async apply(req: IncomingMessage, res: ServerResponse, info: RequestInfo): Promise<number | undefined> {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const rule = this.#rules.find((r) => r.remaining > 0 && matches(r.spec, info));
    if (!rule) return undefined;
    rule.remaining -= 1;
    const { spec } = rule;
    if (spec.delayMs) await sleep(spec.delayMs);
    if (rule.delayOnly) return undefined;
    this.injected += 1;
    if (spec.reset) {
      req.socket.destroy();
      return 0;
    }
    const status = spec.status ?? 503;
    const body =
      spec.body ??
      googleErrorBody(
        status,
        spec.reason ?? DEFAULT_REASON[status] ?? 'backendError',
        spec.message ?? 'Injected fault',
        {
          domain: spec.domain ?? 'global',
        },
      );
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': String(Buffer.byteLength(text)),
      ...spec.headers,
    });
    res.end(text);
    return status;
  }
}
