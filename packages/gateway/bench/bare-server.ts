// The baseline for the gateway benchmark: a bare Hono server on Node 24 that
// parses the JSON body and answers 202 — no validation, no WAL, no logging.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.argv[2] ?? 8100);
const app = new Hono();
const accept = async (c: import('hono').Context) => {
  await c.req.json();
  return c.json({ status: 'accepted' }, 202);
};
app.post('/collect', accept);
app.post('/v1/batch', accept);
app.get('/ready', (c) => c.json({ status: 'ready' }));
serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () => console.log(`bare server on ${port}`));
process.on('SIGTERM', () => process.exit(0));
