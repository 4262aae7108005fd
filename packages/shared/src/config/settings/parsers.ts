// Value parsers for settings. Each one turns the raw text of an environment
// variable or CLI flag into a typed value, or says what it expected instead.
// They never throw: the loader turns a failure into a one-line ConfigError
// that names the variable and the flag.

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem?: string };

export interface Parser<T> {
  /** What a valid value looks like, completing "expected …". */
  readonly expected: string;
  /** Placeholder shown in `--help`, e.g. `<n>` or `<gcs|firestore|file>`. */
  readonly metavar: string;
  /** True for on/off settings: the flag may be given without a value. */
  readonly isBoolean?: boolean;
  parse(raw: string): ParseResult<T>;
  /** Renders a value the way a user would write it (defaults in help and docs). */
  format(value: T): string;
}

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const fail = (problem?: string): ParseResult<never> =>
  problem === undefined ? { ok: false } : { ok: false, problem };

function rangeText(min: number, max: number | undefined, unit = ''): string {
  if (max !== undefined) return `from ${min} to ${max}${unit}`;
  return `of at least ${min}${unit}`;
}

/** Whole numbers, optionally bounded; `1_000` and `1e3` are refused to keep typos loud. */
export function integer(min: number, max?: number): Parser<number> {
  return {
    expected: `an integer ${rangeText(min, max)}`,
    metavar: '<n>',
    parse(raw) {
      if (!/^[+-]?\d+$/.test(raw)) return fail();
      const n = Number(raw);
      if (!Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) return fail();
      return ok(n);
    },
    format: String,
  };
}

/**
 * A duration in seconds, as the seed writes them (`0.1`, `5.0`, `3600`).
 * `minExclusive` rejects zero where a zero interval would spin a loop.
 */
export function seconds(opts: { min?: number; minExclusive?: boolean; max?: number } = {}): Parser<number> {
  const min = opts.min ?? 0;
  const bound = opts.minExclusive ? `greater than ${min}` : `of at least ${min}`;
  const upper = opts.max !== undefined ? ` and at most ${opts.max}` : '';
  return {
    expected: `a number of seconds ${bound}${upper}`,
    metavar: '<seconds>',
    parse(raw) {
      if (!/^\+?(\d+(\.\d*)?|\.\d+)$/.test(raw)) return fail();
      const n = Number(raw);
      if (!Number.isFinite(n)) return fail();
      if (opts.minExclusive ? n <= min : n < min) return fail();
      if (opts.max !== undefined && n > opts.max) return fail();
      return ok(n);
    },
    format: String,
  };
}

/** A positive number (hours in the ring buffer's retention); fractions allowed. */
export function positiveNumber(unit: string): Parser<number> {
  return {
    expected: `a number of ${unit} greater than 0`,
    metavar: `<${unit}>`,
    parse(raw) {
      if (!/^\+?(\d+(\.\d*)?|\.\d+)$/.test(raw)) return fail();
      const n = Number(raw);
      return Number.isFinite(n) && n > 0 ? ok(n) : fail();
    },
    format: String,
  };
}

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
};

/**
 * A size in bytes: `32768`, `32kb`, `500KiB`, `1mb`. K and M are binary
 * (1024), as Segment's "32 KB" and "500 KB" limits are.
 */
export function bytes(min: number, max?: number): Parser<number> {
  return {
    expected: `a size in bytes ${rangeText(min, max)} (suffixes kb and mb allowed)`,
    metavar: '<bytes>',
    parse(raw) {
      const m = /^(\d+)\s*([a-z]*)$/i.exec(raw);
      if (!m) return fail();
      const unit = BYTE_UNITS[(m[2] ?? '').toLowerCase()];
      if (unit === undefined) return fail();
      const n = Number(m[1]) * unit;
      if (!Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) return fail();
      return ok(n);
    },
    format(value) {
      if (value % (1024 * 1024) === 0) return `${value / (1024 * 1024)}mb`;
      if (value % 1024 === 0) return `${value / 1024}kb`;
      return String(value);
    },
  };
}

/** `true/false/1/0`, case-insensitive — nothing else, so `yes` or `ture` is an error, not false. */
export function boolean(): Parser<boolean> {
  return {
    expected: 'true, false, 1 or 0',
    metavar: '[true|false]',
    isBoolean: true,
    parse(raw) {
      const v = raw.toLowerCase();
      if (v === 'true' || v === '1') return ok(true);
      if (v === 'false' || v === '0') return ok(false);
      return fail();
    },
    format: String,
  };
}

/**
 * One of a fixed set of words, case-insensitive. `aliases` map other accepted
 * spellings onto a value (the seed's `WARNING` log level onto `warn`).
 */
export function oneOf<const V extends string>(
  values: readonly V[],
  aliases: Readonly<Record<string, NoInfer<V>>> = {},
  /** For a long list, a name instead of every value (the help's option column stays narrow). */
  metavar?: string,
): Parser<V> {
  return {
    expected: `one of ${values.join(', ')}`,
    metavar: metavar ?? `<${values.join('|')}>`,
    parse(raw) {
      const v = raw.toLowerCase();
      const hit = values.find((x) => x === v) ?? (Object.hasOwn(aliases, v) ? aliases[v] : undefined);
      return hit === undefined ? fail() : ok(hit);
    },
    format: String,
  };
}

/** Free text, trimmed; `pattern` restricts it where the value ends up in a name or a query. */
export function text(opts: { expected?: string; pattern?: RegExp; metavar?: string } = {}): Parser<string> {
  return {
    expected: opts.expected ?? 'a non-empty value',
    metavar: opts.metavar ?? '<value>',
    parse(raw) {
      if (raw === '') return fail();
      if (opts.pattern && !opts.pattern.test(raw)) return fail();
      return ok(raw);
    },
    format: String,
  };
}

/** An emulator address as the Google clients take it: `host:port` (a scheme is tolerated). */
export function hostPort(): Parser<string> {
  return {
    expected: 'host:port (e.g. localhost:8085)',
    metavar: '<host:port>',
    parse(raw) {
      const bare = raw.replace(/^https?:\/\//i, '').replace(/\/+$/, '');
      return /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/.test(bare) ? ok(raw) : fail();
    },
    format: String,
  };
}

/** An http(s) base URL; `host:port` alone gets `http://` (the GCS emulator speaks plain HTTP). */
export function baseUrl(): Parser<string> {
  return {
    expected: 'a URL such as http://localhost:9023',
    metavar: '<url>',
    parse(raw) {
      const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
      let url: URL;
      try {
        url = new URL(withScheme);
      } catch {
        return fail();
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail();
      return ok(withScheme.replace(/\/+$/, ''));
    },
    format: String,
  };
}

/** Comma-separated items, trimmed, empties dropped; each item checked by `item`. */
export function list(
  item: Parser<string>,
  opts: { expected: string; metavar?: string },
): Parser<readonly string[]> {
  return {
    expected: opts.expected,
    metavar: opts.metavar ?? '<a,b,...>',
    parse(raw) {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      if (items.length === 0) return fail();
      for (const it of items) {
        const r = item.parse(it);
        if (!r.ok) return fail(`"${it}" is not ${item.expected}`);
      }
      return ok(items);
    },
    format: (v) => v.join(','),
  };
}

/** Browser origins for CORS: `*`, or a list of `scheme://host[:port]`. */
export function corsOrigins(): Parser<readonly string[]> {
  const origin: Parser<string> = {
    expected: 'an origin such as https://app.example.com',
    metavar: '<origin>',
    parse(raw) {
      if (raw === '*') return ok(raw);
      try {
        const url = new URL(raw);
        const normalized = raw.replace(/\/+$/, '');
        return url.origin === normalized ? ok(normalized) : fail();
      } catch {
        return fail();
      }
    },
    format: String,
  };
  const base = list(origin, {
    expected: '* or a comma-separated list of origins (https://app.example.com)',
    metavar: '<origins>',
  });
  return {
    ...base,
    parse(raw) {
      const r = base.parse(raw);
      if (!r.ok) return r;
      if (r.value.includes('*') && r.value.length > 1)
        return fail('"*" cannot be combined with other origins');
      return ok(r.value.map((o) => o.replace(/\/+$/, '')));
    },
  };
}

/**
 * `key1=value1,key2=value2` into a null-prototype record. Built for secrets
 * (write keys): failures describe the position of the bad entry and never echo
 * its text.
 */
export function keyValueMap(opts: {
  expected: string;
  metavar: string;
  valuePattern: RegExp;
  valueExpected: string;
}): Parser<Readonly<Record<string, string>>> {
  return {
    expected: opts.expected,
    metavar: opts.metavar,
    parse(raw) {
      const out: Record<string, string> = Object.create(null);
      const entries = raw.split(',').map((s) => s.trim());
      for (const [i, entry] of entries.entries()) {
        const n = i + 1;
        if (entry === '') {
          if (entries.length === 1 || i === entries.length - 1) continue; // tolerate a trailing comma
          return fail(`entry ${n} is empty`);
        }
        const eq = entry.indexOf('=');
        if (eq === -1) return fail(`entry ${n} has no "="`);
        const key = entry.slice(0, eq).trim();
        const value = entry.slice(eq + 1).trim();
        if (key === '') return fail(`entry ${n} has an empty key`);
        if (!opts.valuePattern.test(value)) return fail(`entry ${n}: ${opts.valueExpected}`);
        if (Object.hasOwn(out, key)) return fail(`entry ${n} repeats a key`);
        out[key] = value;
      }
      if (Object.keys(out).length === 0) return fail('no entries');
      return ok(out);
    },
    format: (v) =>
      Object.entries(v)
        .map(([k, val]) => `${k}=${val}`)
        .join(','),
  };
}
