// The settings documents that let a browser SDK find this gateway from its URL
// alone (docs/clients.md): analytics.js loads /v1/projects/{writeKey}/settings from
// its cdnURL and sends events wherever `Segment.io.apiHost` says; the Rudder
// browser SDK loads /sourceConfig/ from its configUrl.
import type { Context, Hono } from 'hono';
import { type Env, fail } from './context.ts';
import type { WriteKeys } from './write-keys.ts';

function publicBase(c: Context): { host: string; protocol: 'http' | 'https' } {
  const url = new URL(c.req.url);
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim();
  const protocol = forwarded === 'https' || (!forwarded && url.protocol === 'https:') ? 'https' : 'http';
  const host = c.req.header('x-forwarded-host')?.split(',')[0]?.trim() || url.host;
  return { host, protocol };
}

export function registerSettingsRoutes(app: Hono<Env>, writeKeys: WriteKeys): void {
  const notFound = (c: Context<Env>) => fail(c, 'not_found', 'unknown write key');

  app.get('/v1/projects/:writeKey/settings', (c) => {
    const writeKey = c.req.param('writeKey');
    if (!writeKeys.resolve([writeKey]).ok) return notFound(c);
    const { host, protocol } = publicBase(c);
    // Browsers fetch this on every page view; a few minutes of caching is plenty.
    c.header('Cache-Control', 'public, max-age=300');
    return c.json({
      integrations: {
        'Segment.io': {
          apiKey: writeKey,
          apiHost: `${host}/v1`,
          protocol,
          unbundledIntegrations: [],
          addBundledMetadata: false,
        },
      },
      plan: {
        track: { __default: { enabled: true, integrations: {} } },
        identify: { __default: { enabled: true } },
      },
      edgeFunction: {},
      analyticsNextEnabled: true,
      middlewareSettings: {},
      enabledMiddleware: {},
      metrics: { sampleRate: 0 },
      legacyVideoPluginsEnabled: false,
      remotePlugins: [],
    });
  });

  const sourceConfig = (c: Context) => {
    const writeKey = c.req.query('writeKey') ?? '';
    const resolved = writeKeys.resolve([writeKey]);
    if (!resolved.ok) return notFound(c);
    c.header('Cache-Control', 'public, max-age=300');
    return c.json({
      isHosted: false,
      source: {
        id: resolved.source,
        name: resolved.source,
        writeKey,
        enabled: true,
        workspaceId: 'eventkit',
        config: {},
        destinations: [],
      },
    });
  };
  app.get('/sourceConfig', sourceConfig);
  app.get('/sourceConfig/', sourceConfig);
}
