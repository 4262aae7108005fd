// analytics.js (@segment/analytics-next) served from node_modules, so a test
// page loads nothing from Segment's CDN.
//
// The UMD build (`dist/umd/index.js`, global `window.AnalyticsNext`) loads its
// optional parts as webpack chunks from `__webpack_public_path__`, which it sets
// once, when the script runs, to `${cdn}/analytics-next/bundles/`, where `cdn`
// is `window.analytics._cdn` if set, else https://cdn.segment.com. A page that
// sets `window.analytics = { _cdn: location.origin }` before the script tag
// (what Segment's snippet does for a custom CDN) gets its chunks from the paths
// below. Which chunks load depends on the settings: with the gateway's settings
// (one integration, no plan, no middleware) analytics.js 1.84.3 loads none.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { StaticFile } from './static-server.ts';

const require = createRequire(import.meta.url);
const pkgJson = require.resolve('@segment/analytics-next/package.json');

export const ANALYTICS_NEXT_VERSION: string = (
  JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }
).version;

/** Where `analyticsNextFiles()` puts the UMD build; load it with `<script src>`. */
export const ANALYTICS_NEXT_SCRIPT = '/analytics-next/index.js';

/** The UMD build and every chunk it can request, keyed by the path the page asks for. */
export function analyticsNextFiles(): Record<string, StaticFile> {
  const dir = join(dirname(pkgJson), 'dist', 'umd');
  const js = (name: string): StaticFile => ({
    body: readFileSync(join(dir, name)),
    contentType: 'text/javascript; charset=utf-8',
  });
  const files: Record<string, StaticFile> = { [ANALYTICS_NEXT_SCRIPT]: js('index.js') };
  for (const name of readdirSync(dir)) {
    if (/\.bundle\.[0-9a-f]+\.js$/.test(name)) files[`/analytics-next/bundles/${name}`] = js(name);
  }
  return files;
}
