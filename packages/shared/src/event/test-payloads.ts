// Events in the shapes real SDKs put on the wire (see docs/clients.md),
// for tests. Each call returns a fresh copy, so a test may mutate its own.

import type { JsonObject } from './types.ts';

/** One item of `@segment/analytics-node` 3.x's `/v1/batch` body: `timestamp`, no per-event sentAt. */
export function segmentNodeTrack(): JsonObject {
  return {
    type: 'track',
    event: 'Order Completed',
    userId: 'user-8d1f4c',
    properties: {
      orderId: 'ord-1042',
      revenue: 19.99,
      currency: 'EUR',
      products: [{ sku: 'sku-1', quantity: 1 }],
    },
    context: { library: { name: '@segment/analytics-node', version: '3.1.0' } },
    integrations: {},
    messageId: 'node-next-1795860000000-3c8f0b7e-6d7a-4f7e-9a51-2b1f1c7f2a10',
    timestamp: '2026-11-27T10:00:00.000Z',
    _metadata: { nodeVersion: '24.11.0', jsRuntime: 'node' },
  };
}

/** The `/v1/batch` body around such items: batch-level sentAt and writeKey. */
export function segmentNodeBatch(items: JsonObject[]): JsonObject {
  return { batch: items, writeKey: 'wk_live_abc', sentAt: '2026-11-27T10:00:05.000Z' };
}

/** One item of `@rudderstack/rudder-sdk-node` 3.x: `originalTimestamp` + per-event `sentAt`, no `timestamp`. */
export function rudderNodeTrack(): JsonObject {
  return {
    channel: 'server',
    context: { library: { name: 'analytics-node', version: '3.0.13' } },
    type: 'track',
    event: 'Order Completed',
    userId: 'user-8d1f4c',
    properties: { orderId: 'ord-1042', revenue: 19.99 },
    originalTimestamp: '2026-11-27T10:00:00.000Z',
    messageId: 'node-5f2b1c0d9e8a7b6c5d4e3f2a1b0c9d8e-0b0f5d5e-3c3a-4c55-9a2e-7a1c2b3d4e5f',
    _metadata: { nodeVersion: '24.11.0' },
    sentAt: '2026-11-27T10:00:01.234Z',
  };
}

/** A rudder-sdk-node identify: the traits travel in `context.traits` only. */
export function rudderNodeIdentify(): JsonObject {
  return {
    channel: 'server',
    context: {
      library: { name: 'analytics-node', version: '3.0.13' },
      traits: { plan: 'pro', email: 'a@example.com' },
    },
    type: 'identify',
    userId: 'user-8d1f4c',
    originalTimestamp: '2026-11-27T10:00:00.000Z',
    messageId: 'node-0a1b2c3d4e5f60718293a4b5c6d7e8f9-1c1d1e1f-2a2b-4c2d-8e2f-3a3b3c3d3e3f',
    sentAt: '2026-11-27T10:00:00.512Z',
  };
}

/** analytics.js (`@segment/analytics-next` 1.84) to `/v1/t`: `timestamp` + `sentAt` + `writeKey` per event, `userId: null` when anonymous. */
export function analyticsJsTrack(): JsonObject {
  return {
    timestamp: '2026-11-27T10:00:00.123Z',
    integrations: {},
    type: 'track',
    properties: { button: 'signup', plan: 'pro' },
    event: 'Signup Clicked',
    context: {
      page: {
        path: '/pricing',
        referrer: '',
        search: '',
        title: 'Pricing',
        url: 'https://example.com/pricing',
      },
      userAgent:
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0 Safari/537.36',
      locale: 'en-US',
      library: { name: 'analytics.js', version: 'next-1.84.3' },
    },
    messageId: 'ajs-next-1795860000123-6f0e5e2a-91c4-4d3b-8a7e-0c5b9f1d2e3a',
    anonymousId: '7c6a2b8e-1f0d-4e9a-b3c2-5d4e6f7a8b9c',
    userId: null,
    writeKey: 'wk_live_abc',
    sentAt: '2026-11-27T10:00:00.456Z',
    _metadata: { bundled: ['Segment.io'], unbundled: [], bundledIds: [] },
  };
}

/** The Rudder browser SDK (3.x) page call: `userId: ""` for anonymous users, `rudderId`, `channel: web`. */
export function rudderBrowserPage(): JsonObject {
  return {
    channel: 'web',
    context: {
      library: { name: 'RudderLabs JavaScript SDK', version: '3.34.1' },
      traits: {},
      locale: 'en-US',
      page: { path: '/docs', url: 'https://example.com/docs', title: 'Docs' },
    },
    type: 'page',
    name: 'Docs',
    properties: { path: '/docs', url: 'https://example.com/docs', title: 'Docs' },
    originalTimestamp: '2026-11-27T10:00:00.000Z',
    integrations: { All: true },
    messageId: '2f9c1b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b',
    userId: '',
    anonymousId: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
    rudderId: 'a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d',
    sentAt: '2026-11-27T10:00:00.250Z',
  };
}

/** A legacy analytics-node group call. */
export function segmentGroup(): JsonObject {
  return {
    type: 'group',
    userId: 'user-8d1f4c',
    groupId: 'acme-inc',
    traits: { name: 'Acme Inc', plan: 'enterprise' },
    messageId: 'node-1795860000000-group-1',
    timestamp: '2026-11-27T10:00:00.000Z',
    context: { library: { name: 'analytics-node', version: '6.2.0' } },
  };
}

/** A legacy analytics-node alias call. */
export function segmentAlias(): JsonObject {
  return {
    type: 'alias',
    userId: 'user-8d1f4c',
    previousId: '7c6a2b8e-1f0d-4e9a-b3c2-5d4e6f7a8b9c',
    messageId: 'node-1795860000000-alias-1',
    timestamp: '2026-11-27T10:00:00.000Z',
  };
}

/** Every sample above, by name. */
export const CLIENT_EVENTS: Readonly<Record<string, () => JsonObject>> = {
  'segment analytics-node track': segmentNodeTrack,
  'rudder-sdk-node track': rudderNodeTrack,
  'rudder-sdk-node identify': rudderNodeIdentify,
  'analytics.js track': analyticsJsTrack,
  'rudder browser page': rudderBrowserPage,
  'segment group': segmentGroup,
  'segment alias': segmentAlias,
};
