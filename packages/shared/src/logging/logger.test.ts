import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, test } from 'vitest';
import { createLogger, type LogLevel, requestLogger, scrub } from './logger.ts';

/** A logger writing into memory; `lines()` returns what it wrote so far. */
function capture(level: LogLevel, json: boolean, name?: string) {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  const logger = createLogger({ level, json, destination: stream, ...(name ? { name } : {}) });
  return { logger, lines: () => out.split('\n').filter((l) => l !== '') };
}

const parsed = (lines: string[]) => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('JSON mode (Cloud Logging)', () => {
  test('one object per line with severity, message and an ISO time; the event name is the message', () => {
    const { logger, lines } = capture('info', true, 'gateway');
    logger.info(
      { method: 'POST', path: '/collect/users', request_id: 'abc-123', stream: 'users' },
      'request_received',
    );
    const [line] = parsed(lines());
    assert.equal(line?.severity, 'INFO');
    assert.equal(line?.message, 'request_received');
    assert.equal(line?.logger, 'gateway');
    assert.equal(line?.method, 'POST');
    assert.equal(line?.request_id, 'abc-123');
    assert.match(String(line?.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    for (const absent of ['msg', 'level', 'pid', 'hostname']) assert.ok(!(absent in line!), absent);
  });

  test('pino levels map to Cloud Logging severities', () => {
    const { logger, lines } = capture('trace', true);
    logger.trace('t');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.fatal('f');
    assert.deepEqual(
      parsed(lines()).map((l) => l.severity),
      ['DEBUG', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'],
    );
  });

  test('the level filters, and silent writes nothing', () => {
    const warn = capture('warn', true);
    warn.logger.info('hidden');
    warn.logger.warn('shown');
    assert.deepEqual(
      parsed(warn.lines()).map((l) => l.message),
      ['shown'],
    );
    const silent = capture('silent', true);
    silent.logger.fatal('nothing');
    assert.deepEqual(silent.lines(), []);
  });

  test('errors are serialized with type, message and stack', () => {
    const { logger, lines } = capture('info', true);
    logger.error({ err: new Error('disk full') }, 'wal_write_failed');
    const [line] = parsed(lines());
    const err = line?.err as Record<string, unknown>;
    assert.equal(err.message, 'disk full');
    assert.match(String(err.stack), /Error: disk full/);
  });
});

describe('redaction', () => {
  test('secrets are censored wherever they appear', () => {
    const { logger, lines } = capture('info', true);
    logger.info(
      {
        headers: { authorization: 'Basic d2tfbGl2ZTo=', 'content-type': 'application/json' },
        writeKey: 'wk_live_1',
        config: { write_keys: { wk_live_2: 'web' }, gcs: { credentials: { private_key: 'pk' } } },
        token: 't0k3n',
        password: 'hunter2',
      },
      'debug_dump',
    );
    const raw = lines().join('\n');
    for (const secret of ['d2tfbGl2ZTo', 'wk_live_1', 'wk_live_2', 't0k3n', 'hunter2', '"pk"']) {
      assert.ok(!raw.includes(secret), `${secret} leaked: ${raw}`);
    }
    const [line] = parsed(lines());
    const headers = line?.headers as Record<string, unknown>;
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(headers.authorization, '[REDACTED]');
  });

  test('user ids and payload fields are censored too (never log payloads or user ids)', () => {
    const { logger, lines } = capture('info', true);
    logger.info(
      {
        userId: 'user_123',
        event: { anonymousId: 'anon-9', properties: { plan: 'plan-gold' }, traits: { email: 'a@b.c' } },
        batch: [{ user_id: 'u-1' }],
        stream: 'users',
        event_type: 'identify',
      },
      'event_received',
    );
    const raw = lines().join('\n');
    for (const pii of ['user_123', 'anon-9', 'plan-gold', 'a@b.c', 'u-1'])
      assert.ok(!raw.includes(pii), `${pii} leaked`);
    const [line] = parsed(lines());
    assert.equal(line?.stream, 'users');
    assert.equal(line?.event_type, 'identify');
  });

  test('child bindings are censored, and the caller’s object is left untouched', () => {
    const { logger, lines } = capture('info', true);
    const details = { nested: { userId: 'user_123' } };
    logger.child({ writeKey: 'wk_live_3' }).info(details, 'x');
    assert.ok(!lines().join('').includes('wk_live_3'));
    assert.ok(!lines().join('').includes('user_123'));
    assert.equal(details.nested.userId, 'user_123');
  });

  test('scrub copies only what it changes', () => {
    const clean = { a: { b: [1, 2] } };
    assert.equal(scrub(clean), clean);
    const dirty = { a: { token: 'x' }, b: { c: 1 } };
    const out = scrub(dirty);
    assert.notEqual(out, dirty);
    assert.equal(out.b, dirty.b);
    assert.deepEqual(out.a, { token: '[REDACTED]' });
  });
});

describe('request loggers', () => {
  test('carry request_id and stream on every line', () => {
    const { logger, lines } = capture('debug', true);
    const log = requestLogger(logger, { requestId: 'abc-123', stream: 'users' });
    log.debug({ event_type: 'identify' }, 'event_received');
    log.info({ status_code: 202, duration_ms: 5.23 }, 'request_completed');
    for (const line of parsed(lines())) {
      assert.equal(line.request_id, 'abc-123');
      assert.equal(line.stream, 'users');
    }
  });

  test('leave out what is unknown', () => {
    const { logger, lines } = capture('info', true);
    requestLogger(logger, { requestId: 'r-1' }).info('request_received');
    const [line] = parsed(lines());
    assert.equal(line?.request_id, 'r-1');
    assert.ok(!('stream' in line!));
  });
});

describe('human mode (default)', () => {
  test('one readable line per entry: time, level, event name, details', () => {
    const { logger, lines } = capture('info', false, 'gateway');
    logger.info({ method: 'POST', request_id: 'abc-123', writeKey: 'wk_live_4' }, 'request_received');
    const out = lines();
    assert.equal(out.length, 1);
    assert.match(out[0]!, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] INFO: \[gateway\] request_received /);
    assert.match(out[0]!, /"request_id":"abc-123"/);
    assert.ok(!out[0]!.includes('wk_live_4'));
    assert.ok(!out[0]!.includes('\u001b['), 'no colors when writing to a stream');
  });

  test('colors on request', () => {
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (c: Buffer) => {
      out += c.toString();
    });
    createLogger({ level: 'info', json: false, destination: stream, colorize: true }).warn('careful');
    assert.ok(out.includes('\u001b['));
  });
});

describe('errors for Cloud Error Reporting', () => {
  test('a JSON line with an err carries its stack as stack_trace; a line without one does not', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => {
      text += c.toString();
    });
    const logger = createLogger({ level: 'info', json: true, destination: out });
    logger.error({ err: new Error('boom') }, 'request_failed');
    logger.info({ n: 1 }, 'plain');
    const [failed, plain] = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.match(String(failed?.stack_trace), /^Error: boom\n {4}at /);
    assert.equal(plain?.stack_trace, undefined);
  });
});
