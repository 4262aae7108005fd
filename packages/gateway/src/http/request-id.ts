import { randomUUID } from 'node:crypto';

// A client's X-Request-Id is kept when it is sane (it ends up in logs and in
// Pub/Sub attributes); anything else gets a fresh UUID.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

export function requestIdFrom(header: string | undefined): string {
  return header && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}
