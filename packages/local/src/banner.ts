// What `make dev` prints on a terminal: what runs, where the data goes, and a
// request to paste.
import path from 'node:path';
import type { DevConfig } from '@eventkit/shared/config';

export function banner(config: DevConfig, parts: { loader: boolean; queue: string }): string {
  const url = baseUrl(config, config.port);
  const live = liveEventsUrl(config);
  const dataDir = path.resolve(config.dataDir);
  const key = config.writeKeys ? Object.keys(config.writeKeys)[0] : undefined;
  const auth = key ? ` -u '${key}:'` : '';
  const lines = [
    '',
    `  eventkit dev — the whole pipeline in one process`,
    '',
    `  gateway    ${url}  (Segment-compatible /v1/*, /collect)`,
    ...(live ? [`  live       ${live}  (the last events as they arrive)`] : []),
    `  queue      ${parts.queue}`,
    `  worker     ${config.eventStore} sink → ${config.eventStore === 'file' ? path.join(dataDir, 'events') : config.eventStore}`,
    `  warehouse  ${parts.loader ? `${config.warehouse} → ${config.warehouse === 'duckdb' ? path.resolve(config.duckdbPath) : `${config.gcpBigqueryDataset}.${config.gcpBigqueryTable}`} (every ${config.warehouseLoaderInterval} s)` : 'disabled'}`,
    `  WAL        ${path.resolve(config.ringBufferDbPath)}`,
    '',
    '  Send an event:',
    `    curl -X POST ${url}/v1/track${auth} -H 'Content-Type: application/json' \\`,
    `      -d '{"userId":"user_123","event":"Button Clicked","properties":{"plan":"pro"}}'`,
    '',
    '  See it in the warehouse:',
    `    bin/eventkit-loader query "select type, event, count(*) from ${config.gcpBigqueryDataset}.${config.gcpBigqueryTable} group by all"`,
    '',
    '  Ctrl-C drains everything into the warehouse and exits.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}

function baseUrl(config: DevConfig, port: number): string {
  return `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
}

/** The live events page (EVENTKIT_LIVE_EVENTS, on by default): on the admin port when one is set (gateway.ts). */
export function liveEventsUrl(config: DevConfig): string | undefined {
  if (!config.liveEvents) return undefined;
  return `${baseUrl(config, config.adminPort ?? config.port)}/live`;
}
