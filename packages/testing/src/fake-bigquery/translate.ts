// A small, explicit GoogleSQL → DuckDB translation: exactly the constructs the
// eventkit loader sends, nothing more. Anything it does not know (a function,
// a statement kind) throws, so the job fails loudly: new SQL cannot pass the
// fake silently, it has to be taught here first.
//
// Known rewrites:
// - `project.dataset.table` (backticks) → "project.dataset"."table" (a DuckDB
//   schema per dataset); other backtick names → double quotes;
// - @name query parameters → typed literals;
// - PARSE_JSON(x, wide_number_mode => 'round') → CAST(x AS JSON);
// - x IN UNNEST(a) → x IN (SELECT UNNEST(a)); FROM/JOIN UNNEST(a) AS t → a subquery;
// - TIMESTAMP_SUB(t, INTERVAL n DAY) → (t - INTERVAL (n) DAY);
// - ARRAY_AGG(x ORDER BY y DESC LIMIT 1)[OFFSET(0)] → arg_max(x, y);
// - SUBSTR(SHA256(x), 1, 16) (BYTES) → unhex(substr(sha256(x), 1, 32)) (DuckDB's
//   sha256 is hex text: its first 32 digits are the first 16 bytes);
// - CAST(x AS STRING) → CAST(x AS VARCHAR);
// - MERGE t → MERGE INTO t; CURRENT_TIMESTAMP() → CURRENT_TIMESTAMP;
// - string literals: GoogleSQL's backslash escapes and raw strings r'…' → DuckDB's
//   plain '…' with doubled quotes;
// - JSON_VALUE(x, 'path') → the scalar as text, NULL for an object or array;
// - REGEXP_REPLACE(s, re, by) → regexp_replace(s, re, by, 'g') (every match);
// - ARRAY_AGG(x IGNORE NULLS ORDER BY y DESC LIMIT 1)[SAFE_OFFSET(0)] → arg_max(x, y) FILTER (WHERE x IS NOT NULL);
// - `, UNNEST(JSON_KEYS(x, 1)) AS k` → a lateral subquery over DuckDB's json_keys (top-level keys);
// - JSON_TYPE(x) and JSON_TYPE(x[key]) → DuckDB's json_type, renamed to BigQuery's type names;
// - SAFE_CAST(s AS FLOAT64) → TRY_CAST(s AS DOUBLE); SAFE_CAST(s AS BOOL) → 'true'/'false' in any case, else NULL.
// Identical in both: LOWER, TRIM(s, chars), CASE, CREATE OR REPLACE VIEW.
// Identical in both: SELECT/WITH, QUALIFY, ROW_NUMBER() OVER, COUNT/MIN/MAX/SUM,
// IFNULL, STARTS_WITH, LENGTH, ||, BETWEEN, LEFT JOIN, INSERT … SELECT, DELETE,
// CREATE TEMP TABLE … AS, MERGE … WHEN NOT MATCHED THEN INSERT.

/** Functions the translation knows (GoogleSQL names, upper case). */
const KNOWN_FUNCTIONS = new Set([
  'COUNT',
  'MIN',
  'MAX',
  'SUM',
  'ROW_NUMBER',
  'PARSE_JSON',
  'CURRENT_TIMESTAMP',
  'UNNEST',
  'STARTS_WITH',
  'IFNULL',
  'ARRAY_AGG',
  'TIMESTAMP_SUB',
  'OFFSET',
  'SUBSTR',
  'SHA256',
  'LENGTH',
  'CAST',
  'JSON_VALUE',
  'JSON_KEYS',
  'REGEXP_REPLACE',
  'LOWER',
  'TRIM',
  'SAFE_OFFSET',
  'JSON_TYPE',
  'SAFE_CAST',
]);
/** Keywords that may stand before a parenthesis without being a function. */
const PAREN_KEYWORDS = new Set([
  'IN',
  'AS',
  'VALUES',
  'INSERT',
  'USING',
  'OVER',
  'FROM',
  'AND',
  'OR',
  'NOT',
  'EXISTS',
  'SELECT',
  'ON',
  'WHERE',
  'JOIN',
  'BY',
  'THEN',
  'INTERVAL',
]);
const KNOWN_STATEMENTS = new Set([
  'SELECT',
  'WITH',
  'MERGE',
  'INSERT',
  'DELETE',
  'UPDATE',
  'CREATE',
  'DROP',
  'TRUNCATE',
]);

export class UnsupportedSqlError extends Error {
  constructor(what: string) {
    super(
      `fake-bigquery cannot run this GoogleSQL (teach packages/testing/src/fake-bigquery/translate.ts): ${what}`,
    );
  }
}

/** A query parameter as sent (`queryParameters[]`), with its type. */
export interface WireParam {
  name?: string;
  parameterType?: WireType;
  parameterValue?: WireValue;
}
interface WireType {
  type: string;
  arrayType?: WireType;
  structTypes?: { name: string; type: WireType }[];
}
interface WireValue {
  value?: string | null;
  arrayValues?: WireValue[];
  structValues?: Record<string, WireValue>;
}

export const quoteString = (s: string): string => `'${s.replaceAll("'", "''")}'`;
export const quoteIdent = (s: string): string => `"${s.replaceAll('"', '""')}"`;

/** A parameter's value as a DuckDB literal of its BigQuery type. */
export function paramLiteral(type: WireType | undefined, value: WireValue | undefined): string {
  const t = (type?.type ?? 'STRING').toUpperCase();
  if (t === 'ARRAY') {
    const items = (value?.arrayValues ?? []).map((v) => paramLiteral(type?.arrayType, v));
    return `[${items.join(', ')}]::${duckType(type!)}`;
  }
  if (t === 'STRUCT') {
    const fields = (type?.structTypes ?? []).map(
      (f) => `${quoteString(f.name)}: ${paramLiteral(f.type, value?.structValues?.[f.name])}`,
    );
    return `{${fields.join(', ')}}`;
  }
  const raw = value?.value;
  if (raw === null || raw === undefined) return `NULL::${duckType({ type: t })}`;
  switch (t) {
    case 'STRING':
      return quoteString(raw);
    case 'TIMESTAMP':
      return `${quoteString(raw)}::TIMESTAMPTZ`;
    case 'INT64':
    case 'INTEGER':
      return `${BigInt(raw)}::BIGINT`;
    case 'FLOAT64':
    case 'FLOAT':
      return `${Number(raw)}::DOUBLE`;
    case 'BOOL':
    case 'BOOLEAN':
      return raw === 'true' ? 'TRUE' : 'FALSE';
    default:
      throw new UnsupportedSqlError(`query parameter of type ${t}`);
  }
}

/** The DuckDB type of a BigQuery type (table fields and parameters alike). */
export function duckType(type: WireType | { type: string }): string {
  const t = type.type.toUpperCase();
  switch (t) {
    case 'STRING':
      return 'VARCHAR';
    case 'TIMESTAMP':
      return 'TIMESTAMPTZ';
    case 'DATETIME':
      return 'TIMESTAMP';
    case 'DATE':
      return 'DATE';
    case 'INT64':
    case 'INTEGER':
      return 'BIGINT';
    case 'FLOAT64':
    case 'FLOAT':
      return 'DOUBLE';
    case 'BOOL':
    case 'BOOLEAN':
      return 'BOOLEAN';
    case 'JSON':
      return 'JSON';
    case 'BYTES':
      return 'BLOB';
    case 'ARRAY':
      return `${duckType((type as WireType).arrayType ?? { type: 'STRING' })}[]`;
    case 'STRUCT':
      return `STRUCT(${((type as WireType).structTypes ?? []).map((f) => `${quoteIdent(f.name)} ${duckType(f.type)}`).join(', ')})`;
    default:
      throw new UnsupportedSqlError(`type ${t}`);
  }
}

/** Splits a script into statements on top-level semicolons; `--` comments dropped. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      current += '\n';
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      const end = closingQuote(sql, i);
      current += sql.slice(i, end + 1);
      i = end;
      continue;
    }
    if (c === ';') {
      if (current.trim()) out.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

function closingQuote(sql: string, start: number): number {
  const q = sql[start];
  for (let i = start + 1; i < sql.length; i++) {
    if (sql[i] === '\\') i++;
    else if (sql[i] === q) return i;
  }
  throw new UnsupportedSqlError(`unterminated ${q} quote`);
}

/** The text with string literals and quoted names blanked: what the checks look at. */
export function codeOnly(sql: string): string {
  return sql.replace(/'(?:[^'\\]|\\.|'')*'|`[^`]*`|"[^"]*"/g, ' ¤ ');
}

/** Throws UnsupportedSqlError for a statement kind or function the translation does not know. */
export function checkKnown(statement: string): void {
  const code = codeOnly(statement);
  const first = /^\s*([A-Za-z_]+)/.exec(code)?.[1]?.toUpperCase() ?? '';
  if (!KNOWN_STATEMENTS.has(first))
    throw new UnsupportedSqlError(`statement ${first || statement.slice(0, 30)}`);
  for (const m of code.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) {
    const name = m[1]!.toUpperCase();
    if (KNOWN_FUNCTIONS.has(name) || PAREN_KEYWORDS.has(name)) continue;
    // `alias.column (`, as after INSERT INTO t: a column list, never a call.
    if (code[m.index! - 1] === '.') continue;
    throw new UnsupportedSqlError(`function ${name}()`);
  }
  if (/\bSAFE\./i.test(code)) throw new UnsupportedSqlError('SAFE. prefix');
}

export interface TranslateContext {
  /** The job's project, for `dataset.table` names. */
  projectId: string;
  params: Map<string, string>;
  /** Script variables: name → DuckDB literal. */
  variables: Map<string, string>;
}

/** One GoogleSQL statement → DuckDB. Call `checkKnown` first. */
export function translate(statement: string, ctx: TranslateContext): string {
  let sql = rewriteStringLiterals(statement);
  // Names: `a.b.c` → "a.b"."c"; `b.c` → "project.b"."c"; `x` → "x".
  sql = sql.replace(/`([^`]+)`/g, (_, name: string) => {
    const parts = name.split('.');
    if (parts.length === 3) return `${quoteIdent(`${parts[0]}.${parts[1]}`)}.${quoteIdent(parts[2]!)}`;
    if (parts.length === 2) return `${quoteIdent(`${ctx.projectId}.${parts[0]}`)}.${quoteIdent(parts[1]!)}`;
    return quoteIdent(name);
  });
  sql = sql.replace(/@@row_count/gi, () => {
    throw new UnsupportedSqlError('@@row_count outside SET');
  });
  sql = rewriteJsonKeysJoins(sql);
  // UNNEST first, while its argument is still a @name (a literal holds parentheses).
  sql = sql.replace(/\bIN\s+UNNEST\(\s*([^()]*?)\s*\)/gi, (_, a: string) => `IN (SELECT UNNEST(${a}))`);
  sql = sql.replace(
    /\b(FROM|JOIN)\s+UNNEST\(\s*([^()]*?)\s*\)\s+AS\s+([A-Za-z_][A-Za-z0-9_]*)/gi,
    (_, kw: string, a: string, alias: string) =>
      // An array of structs: the alias names the struct, so `alias.field` reads a field.
      /::STRUCT\(/i.test(ctx.params.get(a.replace(/^@/, '')) ?? '')
        ? `${kw} (SELECT UNNEST(${a}, recursive := true)) AS ${alias}`
        : `${kw} (SELECT UNNEST(${a}) AS ${alias}) AS ${alias}`,
  );
  if (/UNNEST\(/i.test(sql.replace(/SELECT UNNEST\(/gi, ''))) {
    throw new UnsupportedSqlError('UNNEST outside `IN UNNEST(…)` and `FROM … UNNEST(…) AS t`');
  }
  sql = sql.replace(/@([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    const literal = ctx.params.get(name);
    if (literal === undefined) throw new UnsupportedSqlError(`query parameter @${name} is not given`);
    return literal;
  });
  sql = sql.replace(
    /PARSE_JSON\(\s*([^,()]+?)\s*,\s*wide_number_mode\s*=>\s*'round'\s*\)/gi,
    (_, x: string) => `CAST(${x} AS JSON)`,
  );
  if (/PARSE_JSON\(/i.test(sql))
    throw new UnsupportedSqlError('PARSE_JSON without wide_number_mode => round');
  sql = rewriteCalls(sql, 'SUBSTR', (args) => {
    const m = /^\s*SHA256\(([\s\S]*)\)\s*,\s*1\s*,\s*16\s*$/i.exec(args);
    if (!m) throw new UnsupportedSqlError(`SUBSTR other than SUBSTR(SHA256(x), 1, 16): SUBSTR(${args})`);
    return `unhex(substr(sha256(${m[1]}), 1, 32))`;
  });
  if (/\bSHA256\(/i.test(sql.replace(/\bsha256\(/g, ''))) {
    throw new UnsupportedSqlError('SHA256 other than in SUBSTR(SHA256(x), 1, 16)');
  }
  sql = rewriteJsonValue(sql);
  sql = rewriteJsonType(sql);
  sql = rewriteSafeCast(sql);
  sql = rewriteRegexpReplace(sql);
  sql = sql.replace(/\bAS\s+STRING\s*\)/gi, 'AS VARCHAR)');
  sql = sql.replace(/\bCURRENT_TIMESTAMP\(\)/gi, 'CURRENT_TIMESTAMP');
  sql = sql.replace(
    /ARRAY_AGG\(\s*([^()]+?)\s+IGNORE NULLS\s+ORDER BY\s+([^()]+?)\s+DESC\s+LIMIT 1\s*\)\[SAFE_OFFSET\(0\)\]/gi,
    (_, x: string, y: string) => `arg_max(${x}, ${y}) FILTER (WHERE ${x} IS NOT NULL)`,
  );
  sql = sql.replace(
    /ARRAY_AGG\(\s*([^()]+?)\s+ORDER BY\s+([^()]+?)\s+DESC\s+LIMIT 1\s*\)\[OFFSET\(0\)\]/gi,
    (_, x: string, y: string) => `arg_max(${x}, ${y})`,
  );
  if (/ARRAY_AGG\(/i.test(sql))
    throw new UnsupportedSqlError('ARRAY_AGG other than (x ORDER BY y DESC LIMIT 1)[OFFSET(0)]');
  sql = sql.replace(
    /TIMESTAMP_SUB\(\s*(.+?)\s*,\s*INTERVAL\s+(\d+)\s+DAY\s*\)/gi,
    (_, t: string, n: string) => `(${t} - INTERVAL (${n}) DAY)`,
  );
  if (/TIMESTAMP_SUB\(/i.test(sql))
    throw new UnsupportedSqlError('TIMESTAMP_SUB other than (t, INTERVAL n DAY)');
  sql = sql.replace(/^\s*MERGE\s+(?!INTO\b)/i, 'MERGE INTO ');
  // Script variables: a SELECT of variables only keeps their names as columns.
  const only = /^\s*SELECT\s+([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*$/i.exec(sql);
  if (only && only[1]!.split(',').every((v) => ctx.variables.has(v.trim()))) {
    return `SELECT ${only[1]!
      .split(',')
      .map((v) => `${ctx.variables.get(v.trim())} AS ${v.trim()}`)
      .join(', ')}`;
  }
  for (const [name, literal] of ctx.variables) {
    sql = replaceWord(sql, name, `(${literal})`);
  }
  return sql;
}

/** Replaces each call `NAME(args)` (balanced parentheses, quotes skipped) by `by(args)`. */
function rewriteCalls(sql: string, name: string, by: (args: string) => string): string {
  const re = new RegExp(`\\b${name}\\(`, 'g');
  let out = '';
  let from = 0;
  for (let m = re.exec(sql); m; m = re.exec(sql)) {
    let depth = 1;
    let i = m.index + m[0].length;
    for (; i < sql.length && depth > 0; i++) {
      const c = sql[i];
      if (c === "'") i = closingQuote(sql, i);
      else if (c === '(') depth++;
      else if (c === ')') depth--;
    }
    out += sql.slice(from, m.index) + by(sql.slice(m.index + m[0].length, i - 1));
    from = i;
    re.lastIndex = i;
  }
  return out + sql.slice(from);
}

/** Replaces a bare word outside quotes (not after a dot, not a quoted name). */
function replaceWord(sql: string, word: string, by: string): string {
  const re = new RegExp(`'(?:[^']|'')*'|"[^"]*"|(?<![.\\w])${word}(?![\\w])`, 'g');
  return sql.replace(re, (m) => (m.startsWith("'") || m.startsWith('"') ? m : by));
}

/** The arguments of a call, split on its top-level commas (quotes and parentheses respected). */
function splitArgs(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < args.length; i++) {
    const c = args[i];
    if (c === "'" || c === '"' || c === '`') i = closingQuote(args, i);
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(args.slice(from, i).trim());
      from = i + 1;
    }
  }
  out.push(args.slice(from).trim());
  return out;
}

/**
 * GoogleSQL's single-quoted strings read backslash escapes (\\, \', \n, …), raw
 * strings (r'…') none; DuckDB's read none and double a quote
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical#string_and_bytes_literals).
 * An escape the fake does not know, and triple-quoted strings, fail.
 */
function rewriteStringLiterals(sql: string): string {
  const escapes: Record<string, string> = {
    n: '\n',
    r: '\r',
    t: '\t',
    '\\': '\\',
    "'": "'",
    '"': '"',
    '`': '`',
  };
  let out = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === '`' || c === '"') {
      const end = closingQuote(sql, i);
      out += sql.slice(i, end + 1);
      i = end;
      continue;
    }
    if (c !== "'") {
      out += c;
      continue;
    }
    if (sql.startsWith("'''", i)) throw new UnsupportedSqlError('triple-quoted string literals');
    const raw = /(^|[^A-Za-z0-9_])[rR]$/.test(out);
    if (raw) out = out.slice(0, -1);
    let value = '';
    let j = i + 1;
    for (; j < sql.length && sql[j] !== "'"; j++) {
      if (sql[j] !== '\\') {
        value += sql[j];
        continue;
      }
      const next = sql[++j] ?? '';
      if (raw) value += `\\${next}`;
      else if (next in escapes) value += escapes[next];
      else throw new UnsupportedSqlError(`the escape \\${next} in a string literal`);
    }
    if (j >= sql.length) throw new UnsupportedSqlError('unterminated string literal');
    out += `'${value.replaceAll("'", "''")}'`;
    i = j;
  }
  return out;
}

/**
 * JSON_VALUE(x, 'path'): the scalar at the path as STRING; NULL for an object,
 * an array or JSON null; the path a string literal
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#json_value).
 * DuckDB's json_extract_string would give objects and arrays as JSON text.
 */
function rewriteJsonValue(sql: string): string {
  return rewriteCalls(sql, 'JSON_VALUE', (args) => {
    const [x, path, ...rest] = splitArgs(rewriteJsonValue(args));
    if (!x || !path || rest.length > 0 || !/^'(?:[^']|'')*'$/.test(path)) {
      throw new UnsupportedSqlError(`JSON_VALUE other than (json, 'path literal'): JSON_VALUE(${args})`);
    }
    return `(CASE WHEN json_type(${x}, ${path}) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(${x}, ${path}) END)`;
  });
}

/**
 * REGEXP_REPLACE(s, re, by) replaces every non-overlapping match, \\1 in `by`
 * naming a group (https://cloud.google.com/bigquery/docs/reference/standard-sql/string_functions#regexp_replace);
 * DuckDB's replaces the first unless told 'g'.
 */
function rewriteRegexpReplace(sql: string): string {
  return rewriteCalls(sql, 'REGEXP_REPLACE', (args) => {
    const parts = splitArgs(rewriteRegexpReplace(args));
    if (parts.length !== 3) throw new UnsupportedSqlError(`REGEXP_REPLACE with ${parts.length} arguments`);
    return `regexp_replace(${parts.join(', ')}, 'g')`;
  });
}

/**
 * `UNNEST(JSON_KEYS(x, 1)) AS k` in a FROM list: one row per top-level key of x
 * (max_depth 1; without it JSON_KEYS also lists nested keys as `a.b`, which the
 * fake does not model: https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#json_keys).
 */
function rewriteJsonKeysJoins(sql: string): string {
  const re = /\bUNNEST\(\s*JSON_KEYS\(/gi;
  let out = '';
  let from = 0;
  for (let m = re.exec(sql); m; m = re.exec(sql)) {
    let depth = 2;
    let i = m.index + m[0].length;
    for (; i < sql.length && depth > 0; i++) {
      const c = sql[i];
      if (c === "'" || c === '"') i = closingQuote(sql, i);
      else if (c === '(') depth++;
      else if (c === ')') depth--;
    }
    const inner = sql.slice(m.index + m[0].length, i - 2);
    const alias = /^\s+AS\s+([A-Za-z_][A-Za-z0-9_]*)/i.exec(sql.slice(i));
    const [x, depthArg, ...rest] = splitArgs(inner);
    if (!alias || !x || depthArg !== '1' || rest.length > 0) {
      throw new UnsupportedSqlError('UNNEST(JSON_KEYS(…)) other than UNNEST(JSON_KEYS(x, 1)) AS k');
    }
    out += `${sql.slice(from, m.index)}(SELECT UNNEST(json_keys(${x})) AS ${alias[1]}) AS _json_keys_${alias[1]}`;
    from = i + alias[0].length;
    re.lastIndex = from;
  }
  return out + sql.slice(from);
}

/** DuckDB's json_type names → BigQuery's JSON_TYPE names (DuckDB names a number by its kind). */
const JSON_TYPE_NAMES: Record<string, string> = {
  OBJECT: 'object',
  ARRAY: 'array',
  VARCHAR: 'string',
  BOOLEAN: 'boolean',
  NULL: 'null',
  BIGINT: 'number',
  UBIGINT: 'number',
  HUGEINT: 'number',
  UHUGEINT: 'number',
  DOUBLE: 'number',
};

/**
 * JSON_TYPE(x): the type of the outermost JSON value as 'object', 'array',
 * 'string', 'number', 'boolean' or 'null'; SQL NULL for SQL NULL
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/json_functions#json_type).
 * JSON_TYPE(x[key]): the JSON subscript with a STRING key gives the field's
 * value, SQL NULL when the field is not there
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/operators#json_subscript_operator);
 * the key becomes a quoted JSON path step (to_json escapes its quotes).
 */
function rewriteJsonType(sql: string): string {
  return rewriteCalls(sql, 'JSON_TYPE', (args) => {
    const inner = rewriteJsonType(args);
    const sub = /^([\s\S]+)\[\s*([A-Za-z_][A-Za-z0-9_]*)\s*\]\s*$/.exec(inner);
    if (splitArgs(inner).length !== 1) throw new UnsupportedSqlError(`JSON_TYPE with more than one argument`);
    const type = sub ? `json_type(${sub[1]}, '$.' || to_json(${sub[2]})::VARCHAR)` : `json_type(${inner})`;
    const cases = Object.entries(JSON_TYPE_NAMES).map(([duck, bq]) => `WHEN '${duck}' THEN '${bq}'`);
    return `(CASE ${type} ${cases.join(' ')} END)`;
  });
}

/**
 * SAFE_CAST(x AS T): CAST, but NULL where the cast would fail
 * (https://cloud.google.com/bigquery/docs/reference/standard-sql/conversion_functions#safe_casting).
 * Modelled for a STRING x only: to FLOAT64 a floating point literal (or inf,
 * nan) else NULL; to BOOL "true" or "false", case-insensitive, else NULL
 * (conversion_functions#cast_as_bool). Other target types fail.
 */
function rewriteSafeCast(sql: string): string {
  return rewriteCalls(sql, 'SAFE_CAST', (args) => {
    const m = /^([\s\S]+)\s+AS\s+([A-Za-z0-9_]+)\s*$/i.exec(rewriteSafeCast(args));
    const type = m?.[2]?.toUpperCase();
    if (type === 'FLOAT64') return `TRY_CAST(${m![1]} AS DOUBLE)`;
    if (type === 'BOOL') return `(CASE lower(${m![1]}) WHEN 'true' THEN TRUE WHEN 'false' THEN FALSE END)`;
    throw new UnsupportedSqlError(`SAFE_CAST other than (x AS FLOAT64) or (x AS BOOL): SAFE_CAST(${args})`);
  });
}
