// Debian's Chromium, headless, driven by playwright-core. Never a browser that
// Playwright downloads: `npx playwright install` fails on machines without
// internet, so scripts/setup-browser.sh installs the `chromium` package instead.
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { type EgressAttempt, isChromiumServiceHost, startEgressGuard } from './egress-guard.ts';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for a machine with no internet (.library/env/machines/node.md): without
 * the background-networking ones Chromium opens many connections at start that
 * the closed network refuses. `--no-sandbox` is required as root. The resolver
 * rule makes every name but 127.0.0.1 unresolvable, for anything that would
 * not go through the egress guard's proxy (DNS prefetch, WebRTC).
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

export interface LaunchChromiumOptions {
  /** Default `/usr/bin/chromium`. */
  executablePath?: string;
  /** Extra flags, after `CHROMIUM_FLAGS`. */
  args?: readonly string[];
  /** Launch timeout; the first start on a busy 2-core machine can take several seconds. Default 60 s. */
  timeoutMs?: number;
}

export interface LaunchedChromium {
  browser: Browser;
  /**
   * Every attempt, by anything in the browser, to reach a host other than
   * 127.0.0.1: all were refused by the egress guard (see egress-guard.ts).
   */
  readonly egress: readonly EgressAttempt[];
  /** `egress` without Chromium's own Google services: what pages (and their unload-time fetches) tried. */
  pageEgress(): EgressAttempt[];
  /** Closes the browser (Playwright then deletes the temporary profile) and the guard. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with a fresh, empty profile and no way off the
 * machine but 127.0.0.1. Playwright's `launch()` makes the profile itself
 * (`$TMPDIR/playwright_chromiumdev_profile-*`, passed as `--user-data-dir`) and
 * deletes it when the browser closes; it refuses `--user-data-dir` in `args`.
 * One browser serves a whole test file: give each test its own
 * `browser.newContext()` (contexts share no cookies, storage or cache).
 */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<LaunchedChromium> {
  const executablePath = options.executablePath ?? CHROMIUM_PATH;
  if (!existsSync(executablePath)) {
    throw new Error(`${executablePath} not found: run scripts/setup-browser.sh (installs Debian's chromium)`);
  }
  // Loaded here, not at import: playwright-core takes about a second to load,
  // and every integration test imports @eventkit/testing.
  const { chromium } = await import('playwright-core');
  const guard = await startEgressGuard();
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      chromiumSandbox: false,
      args: [...CHROMIUM_FLAGS, `--proxy-server=${guard.proxyUrl}`, ...(options.args ?? [])],
      timeout: options.timeoutMs ?? 60_000,
    });
  } catch (err) {
    await guard.close();
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    browser,
    egress: guard.attempts,
    pageEgress: () => guard.attempts.filter((a) => !isChromiumServiceHost(a.host)),
    close() {
      closed ??= browser
        .close()
        .catch(() => {})
        .then(() => guard.close());
      return closed;
    },
  };
}
