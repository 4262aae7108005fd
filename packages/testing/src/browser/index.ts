// Browser test harness: Debian's Chromium through playwright-core, a static
// origin for test pages, analytics.js from node_modules, a recording and
// fault-injecting proxy, and a watch on every request the browser makes.
export type { Browser, BrowserContext, Page } from 'playwright-core';
export { ANALYTICS_NEXT_SCRIPT, ANALYTICS_NEXT_VERSION, analyticsNextFiles } from './analytics-next.ts';
export {
  CHROMIUM_FLAGS,
  CHROMIUM_PATH,
  type LaunchChromiumOptions,
  type LaunchedChromium,
  launchChromium,
} from './chromium.ts';
export {
  CHROMIUM_SERVICE_HOSTS,
  type EgressAttempt,
  type EgressGuard,
  isChromiumServiceHost,
  startEgressGuard,
} from './egress-guard.ts';
export { type StaticFile, type StaticRequest, type StaticServer, serveStatic } from './static-server.ts';
export {
  startTapProxy,
  type TapFault,
  type TapMatcher,
  type TapProxy,
  type TappedRequest,
} from './tap-proxy.ts';
export { isLoopbackUrl, type RequestWatch, type WatchedRequest, watchRequests } from './watch-requests.ts';
