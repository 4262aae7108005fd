import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, test } from 'vitest';
import {
  baseUrl,
  boolean,
  bytes,
  corsOrigins,
  hostPort,
  integer,
  keyValueMap,
  oneOf,
  type Parser,
  seconds,
} from './parsers.ts';

const value = <T>(p: Parser<T>, raw: string): T => {
  const r = p.parse(raw);
  assert.ok(r.ok, `expected ${JSON.stringify(raw)} to parse`);
  return r.value;
};
const rejects = <T>(p: Parser<T>, raw: string): void => {
  assert.equal(p.parse(raw).ok, false, `expected ${JSON.stringify(raw)} to be refused`);
};

describe('integer', () => {
  const port = integer(1, 65535);
  test('accepts whole numbers in range, nothing else', () => {
    assert.equal(value(port, '8000'), 8000);
    assert.equal(value(port, '65535'), 65535);
    for (const bad of ['abc', '0', '65536', '80.5', '1e3', '', ' 80x', '-1', '0x50']) rejects(port, bad);
  });
  test('describes its range', () => {
    assert.equal(port.expected, 'an integer from 1 to 65535');
    assert.equal(integer(0).expected, 'an integer of at least 0');
  });
  test('never throws on any text', () => {
    fc.assert(fc.property(fc.string(), (s) => void port.parse(s)));
  });
});

describe('seconds', () => {
  test('accepts the seed spellings: 0.1, 5.0, 3600, .5', () => {
    const p = seconds({ min: 0, minExclusive: true });
    assert.equal(value(p, '0.1'), 0.1);
    assert.equal(value(p, '5.0'), 5);
    assert.equal(value(p, '3600'), 3600);
    assert.equal(value(p, '.5'), 0.5);
  });
  test('refuses zero when zero would spin a loop, and junk', () => {
    const p = seconds({ min: 0, minExclusive: true });
    for (const bad of ['0', '0.0', '-1', 'abc', '5s', 'Infinity', 'NaN']) rejects(p, bad);
    assert.match(p.expected, /greater than 0/);
  });
});

describe('bytes', () => {
  test('takes plain bytes or binary kb/mb suffixes', () => {
    const p = bytes(1);
    assert.equal(value(p, '32768'), 32768);
    assert.equal(value(p, '32kb'), 32768);
    assert.equal(value(p, '500KiB'), 512000);
    assert.equal(value(p, '1MB'), 1048576);
    for (const bad of ['32 gb', 'kb', '-1', '1.5kb']) rejects(p, bad);
  });
  test('formats defaults the way a user would write them', () => {
    assert.equal(bytes(1).format(32768), '32kb');
    assert.equal(bytes(1).format(1000), '1000');
  });
});

describe('boolean', () => {
  test('true/false/1/0 in any case; typos are errors, not false', () => {
    const p = boolean();
    for (const t of ['true', 'TRUE', '1']) assert.equal(value(p, t), true);
    for (const f of ['false', 'False', '0']) assert.equal(value(p, f), false);
    for (const bad of ['yes', 'no', 'ture', '2', '']) rejects(p, bad);
  });
});

describe('oneOf', () => {
  test('is case-insensitive and maps aliases', () => {
    const p = oneOf(['debug', 'info', 'warn'], { warning: 'warn' });
    assert.equal(value(p, 'INFO'), 'info');
    assert.equal(value(p, 'WARNING'), 'warn');
    rejects(p, 'verbose');
    rejects(p, 'constructor');
    assert.equal(p.expected, 'one of debug, info, warn');
  });
});

describe('keyValueMap (write keys)', () => {
  const p = keyValueMap({
    expected: 'pairs',
    metavar: '<k=v>',
    valuePattern: /^[a-z0-9]+$/,
    valueExpected: 'bad source',
  });
  test('parses key=value pairs into a null-prototype record', () => {
    const m = value(p, 'key1=source1, key2=source2,');
    assert.deepEqual({ ...m }, { key1: 'source1', key2: 'source2' });
    assert.equal(Object.getPrototypeOf(m), null);
    assert.equal(Object.getOwnPropertyDescriptor(value(p, '__proto__=web'), '__proto__')?.value, 'web');
  });
  test('splits at the first "=" and checks the source name', () => {
    assert.deepEqual({ ...value(p, 'abc=web') }, { abc: 'web' });
    rejects(p, 'a=b=c');
  });
  test('says which entry is wrong without echoing it', () => {
    for (const [raw, problem] of [
      ['sekrit', 'entry 1 has no "="'],
      ['a=web,,b=app', 'entry 2 is empty'],
      ['=web', 'entry 1 has an empty key'],
      ['a=web,a=app', 'entry 2 repeats a key'],
      ['a=', 'entry 1: bad source'],
    ] as const) {
      const r = p.parse(raw);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.problem, problem);
    }
  });
});

describe('corsOrigins', () => {
  const p = corsOrigins();
  test('takes * or a list of origins, trailing slashes dropped', () => {
    assert.deepEqual(value(p, '*'), ['*']);
    assert.deepEqual(value(p, 'https://a.example.com, http://localhost:3000/'), [
      'https://a.example.com',
      'http://localhost:3000',
    ]);
  });
  test('refuses paths, bare hosts and * mixed with origins', () => {
    rejects(p, 'https://a.example.com/path');
    rejects(p, 'a.example.com');
    rejects(p, '*,https://a.example.com');
  });
});

describe('emulator addresses', () => {
  test('hostPort takes the forms the Google clients accept', () => {
    assert.equal(value(hostPort(), 'localhost:8085'), 'localhost:8085');
    assert.equal(value(hostPort(), '127.0.0.1:8080'), '127.0.0.1:8080');
    rejects(hostPort(), 'localhost');
    rejects(hostPort(), 'local host:80');
  });
  test('baseUrl adds http:// to host:port and drops a trailing slash', () => {
    assert.equal(value(baseUrl(), 'localhost:9023'), 'http://localhost:9023');
    assert.equal(value(baseUrl(), 'http://localhost:9023/'), 'http://localhost:9023');
    rejects(baseUrl(), 'ftp://localhost:9023');
  });
});
