// The one error envelope of every eventkit HTTP endpoint:
//   {"error":{"code":"payload_too_large","message":"…","requestId":"…"}}
// Status codes follow what SDKs do with them: 400/401/404/413 are final (the
// client drops the batch, so they are only for what a retry cannot fix);
// 429 and 503 are retried (send Retry-After). Never 501, 505 or 511 for
// anything temporary: analytics clients treat those as permanent and drop
// events.

export const ERROR_CODES = [
  'bad_request',
  'invalid_json',
  'payload_too_large',
  'too_many_events',
  'unauthorized',
  'rate_limited',
  'unavailable',
  'not_found',
  'validation_failed',
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorStatus = 400 | 401 | 404 | 413 | 429 | 500 | 503;

export const ERROR_STATUS: Readonly<Record<ErrorCode, ErrorStatus>> = Object.freeze({
  bad_request: 400,
  invalid_json: 400,
  payload_too_large: 413,
  too_many_events: 400,
  unauthorized: 401,
  rate_limited: 429,
  unavailable: 503,
  not_found: 404,
  validation_failed: 400,
  internal: 500,
});

/** Codes a client should retry later; answer them with a Retry-After header. */
export const RETRYABLE_ERROR_CODES: readonly ErrorCode[] = ['rate_limited', 'unavailable'];

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly requestId: string };
}

/** The envelope for one error. `message` is for humans and must never quote payloads or keys. */
export function errorBody(code: ErrorCode, message: string, requestId: string): ErrorBody {
  return { error: { code, message, requestId } };
}

/** The HTTP status of an error code. */
export function errorStatus(code: ErrorCode): ErrorStatus {
  return ERROR_STATUS[code];
}

/** Status and body together, ready for `c.json(body, status)`. */
export function errorResponse(
  code: ErrorCode,
  message: string,
  requestId: string,
): { status: ErrorStatus; body: ErrorBody } {
  return { status: ERROR_STATUS[code], body: errorBody(code, message, requestId) };
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
