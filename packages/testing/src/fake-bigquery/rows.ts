// Turns plain JavaScript rows into BigQuery's wire format (`schema` plus
// `rows: [{f: [{v}]}]`, every scalar a string), inferring a schema when the test
// gives none, so the real client's row parsing runs as it does in production.

export interface TableField {
  name: string;
  type: string;
  mode?: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
  fields?: TableField[];
}

export type Row = Record<string, unknown>;

export interface WireCell {
  v: unknown;
}

export interface WireRow {
  f: WireCell[];
}

/** How TIMESTAMP values are written, following the request's `formatOptions`. */
export type TimestampFormat = 'int64' | 'float' | 'iso';

/** A schema from the rows: each column's type comes from its first non-null value. */
export function inferSchema(rows: readonly Row[]): TableField[] {
  const fields = new Map<string, TableField | undefined>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) {
      if (fields.get(name) !== undefined) continue;
      fields.set(name, undefined);
      if (value === null || value === undefined) continue;
      if (Array.isArray(value)) {
        const first = value.find((v) => v !== null && v !== undefined);
        if (first !== undefined) fields.set(name, { name, type: scalarType(first), mode: 'REPEATED' });
      } else {
        fields.set(name, { name, type: scalarType(value), mode: 'NULLABLE' });
      }
    }
  }
  return [...fields].map(([name, field]) => field ?? { name, type: 'STRING', mode: 'NULLABLE' });
}

function scalarType(value: unknown): string {
  if (typeof value === 'boolean') return 'BOOLEAN';
  if (typeof value === 'bigint') return 'INTEGER';
  if (typeof value === 'number') return Number.isInteger(value) ? 'INTEGER' : 'FLOAT';
  if (value instanceof Date) return 'TIMESTAMP';
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return 'BYTES';
  if (typeof value === 'object') return 'JSON';
  return 'STRING';
}

export function encodeRows(
  schema: readonly TableField[],
  rows: readonly Row[],
  ts: TimestampFormat,
): WireRow[] {
  return rows.map((row) => encodeRecord(schema, row, ts));
}

function encodeRecord(fields: readonly TableField[], row: Row, ts: TimestampFormat): WireRow {
  return { f: fields.map((field) => ({ v: encodeField(field, row[field.name], ts) })) };
}

function encodeField(field: TableField, value: unknown, ts: TimestampFormat): unknown {
  if (value === null || value === undefined) return field.mode === 'REPEATED' ? [] : null;
  if (field.mode === 'REPEATED') {
    const items = Array.isArray(value) ? value : [value];
    return items.map((item) => ({ v: encodeScalar(field, item, ts) }));
  }
  return encodeScalar(field, value, ts);
}

function encodeScalar(field: TableField, value: unknown, ts: TimestampFormat): unknown {
  if (value === null || value === undefined) return null;
  switch (field.type.toUpperCase()) {
    case 'RECORD':
    case 'STRUCT':
      return encodeRecord(field.fields ?? [], value as Row, ts);
    case 'TIMESTAMP':
      return encodeTimestamp(value, ts);
    case 'JSON':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'BYTES':
      return Buffer.from(value as Uint8Array).toString('base64');
    case 'DATE':
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
    case 'DATETIME':
      return value instanceof Date ? value.toISOString().slice(0, -1) : String(value);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

function encodeTimestamp(value: unknown, ts: TimestampFormat): string {
  const date = value instanceof Date ? value : new Date(typeof value === 'number' ? value : String(value));
  if (Number.isNaN(date.getTime())) return String(value);
  if (ts === 'iso') return date.toISOString();
  if (ts === 'float') return (date.getTime() / 1000).toFixed(6);
  return (BigInt(date.getTime()) * 1000n).toString();
}

/** Query parameters (`queryParameters`) decoded to plain values (scalars stay strings, as sent). */
export function decodeParams(raw: unknown): Record<string, unknown> | unknown[] {
  if (!Array.isArray(raw)) return {};
  const values = raw.map((p) => decodeParamValue((p as { parameterValue?: unknown }).parameterValue));
  const names = raw.map((p) => (p as { name?: unknown }).name);
  if (names.every((n) => typeof n === 'string' && n !== '')) {
    return Object.fromEntries(names.map((n, i) => [n as string, values[i]]));
  }
  return values;
}

function decodeParamValue(pv: unknown): unknown {
  if (!pv || typeof pv !== 'object') return null;
  const v = pv as { value?: unknown; arrayValues?: unknown[]; structValues?: Record<string, unknown> };
  if (Array.isArray(v.arrayValues)) return v.arrayValues.map(decodeParamValue);
  if (v.structValues) {
    return Object.fromEntries(Object.entries(v.structValues).map(([k, x]) => [k, decodeParamValue(x)]));
  }
  return v.value ?? null;
}
