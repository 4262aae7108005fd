// The fake BigQuery's data: every table is a DuckDB table (a schema per
// dataset, named "project.dataset"), load jobs read the files they name, and
// query jobs run their SQL through the GoogleSQL → DuckDB translation
// (translate.ts). It models the rules the loader relies on, not the service:
// - a load checks the file's columns against the schema
//   (https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfigurationLoad,
//   ignoreUnknownValues; https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet);
// - a multi-statement transaction holds DML and SELECT only, and aborts when
//   another job changed a table it mutates since it started
//   (https://cloud.google.com/bigquery/docs/transactions).
// Operations run one at a time (a single DuckDB connection).
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { HttpError } from '../http/server-kit.ts';
import type { Row, TableField } from './rows.ts';
import {
  checkKnown,
  codeOnly,
  duckType,
  paramLiteral,
  quoteIdent,
  quoteString,
  splitStatements,
  translate,
  UnsupportedSqlError,
  type WireParam,
} from './translate.ts';

export interface TableRef {
  projectId: string;
  datasetId: string;
  tableId: string;
}

export interface SourceFile {
  uri: string;
  data: Buffer;
}

export interface LoadSpec {
  files: SourceFile[];
  format: string;
  destination: TableRef;
  /** The schema the files are checked against (the job's, else the table's). */
  schema: TableField[];
  ignoreUnknownValues: boolean;
  writeDisposition: string;
}

export interface ScriptResult {
  rows: Row[];
  schema: TableField[];
  /** Rows changed by the last DML statement (when the job is a single DML statement). */
  affectedRows?: number;
  /** Bytes the MERGE statements read, in BigQuery's model (see #mergeBytes). */
  bytesProcessed?: number;
}

const tableKey = (t: TableRef) => `${t.projectId}.${t.datasetId}.${t.tableId}`;
const qualified = (t: TableRef) => `${quoteIdent(`${t.projectId}.${t.datasetId}`)}.${quoteIdent(t.tableId)}`;
const invalid = (message: string) => new HttpError(400, 'invalid', message);

/** BigQuery's canonical name of a type (INTEGER ≡ INT64, FLOAT ≡ FLOAT64, BOOLEAN ≡ BOOL). */
function canonical(type: string): string {
  const t = type.toUpperCase();
  return (
    ({ INTEGER: 'INT64', FLOAT: 'FLOAT64', BOOLEAN: 'BOOL', RECORD: 'STRUCT' } as Record<string, string>)[
      t
    ] ?? t
  );
}

/**
 * The BigQuery type a Parquet column loads as, from DuckDB's reading of it
 * (https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet#parquet_conversions):
 * UTF8 strings → STRING (never JSON: Parquet cannot feed a JSON column), a
 * UTC-adjusted timestamp → TIMESTAMP, a not-adjusted one → DATETIME.
 */
function parquetColumnType(duck: string): string {
  const t = duck.toUpperCase();
  if (t === 'VARCHAR') return 'STRING';
  if (t === 'TIMESTAMP WITH TIME ZONE') return 'TIMESTAMP';
  if (t === 'TIMESTAMP' || t.startsWith('TIMESTAMP_')) return 'DATETIME';
  if (['BIGINT', 'INTEGER', 'SMALLINT', 'TINYINT', 'UBIGINT', 'UINTEGER'].includes(t)) return 'INT64';
  if (t === 'DOUBLE' || t === 'FLOAT') return 'FLOAT64';
  if (t === 'BOOLEAN') return 'BOOL';
  if (t === 'DATE') return 'DATE';
  if (t === 'BLOB') return 'BYTES';
  return t;
}

/** The BigQuery type of a DuckDB result column. */
function resultType(duck: string): string {
  const t = duck.toUpperCase();
  if (t === 'VARCHAR') return 'STRING';
  if (t === 'TIMESTAMP WITH TIME ZONE') return 'TIMESTAMP';
  if (t === 'TIMESTAMP') return 'DATETIME';
  if (['BIGINT', 'INTEGER', 'HUGEINT', 'SMALLINT', 'TINYINT'].includes(t)) return 'INTEGER';
  if (t === 'DOUBLE' || t === 'FLOAT' || t.startsWith('DECIMAL')) return 'FLOAT';
  if (t === 'BOOLEAN') return 'BOOLEAN';
  if (t === 'JSON') return 'JSON';
  if (t === 'DATE') return 'DATE';
  return 'STRING';
}

export class SqlEngine {
  readonly #con: DuckDBConnection;
  readonly #dir: string;
  #queue: Promise<unknown> = Promise.resolve();
  /** Committed modifications per table ("p.d.t"), for the concurrent-transaction rule. */
  readonly #versions = new Map<string, number>();

  private constructor(con: DuckDBConnection, dir: string) {
    this.#con = con;
    this.#dir = dir;
  }

  static async create(): Promise<SqlEngine> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const con = await instance.connect();
    await con.run(`SET TimeZone = 'UTC'`);
    return new SqlEngine(con, await mkdtemp(join(tmpdir(), 'fake-bigquery-')));
  }

  /** One operation at a time: a script's transaction must not interleave with another job. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Forgets every dataset (the server's reset); queued, so later operations see the empty state. */
  reset(): void {
    this.#versions.clear();
    void this.#serial(async () => {
      const r = await this.#con.runAndReadAll(
        `SELECT DISTINCT schema_name FROM information_schema.schemata WHERE schema_name NOT IN ('main', 'information_schema', 'pg_catalog', 'temp')`,
      );
      for (const row of r.getRowObjectsJS()) {
        await this.#con.run(`DROP SCHEMA IF EXISTS ${quoteIdent(String(row.schema_name))} CASCADE`);
      }
    }).catch(() => undefined);
  }

  /** Modification counts of every table now: a job's snapshot when it starts. */
  versions(): Map<string, number> {
    return new Map(this.#versions);
  }

  createDataset(projectId: string, datasetId: string): Promise<void> {
    return this.#serial(() =>
      this.#con.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(`${projectId}.${datasetId}`)}`),
    ).then(() => undefined);
  }

  dropDataset(projectId: string, datasetId: string): Promise<void> {
    return this.#serial(() =>
      this.#con.run(`DROP SCHEMA IF EXISTS ${quoteIdent(`${projectId}.${datasetId}`)} CASCADE`),
    ).then(() => undefined);
  }

  createTable(ref: TableRef, fields: readonly TableField[]): Promise<void> {
    const columns = fields.map(
      (f) =>
        `${quoteIdent(f.name)} ${duckType(f)}${(f.mode ?? 'NULLABLE').toUpperCase() === 'REQUIRED' ? ' NOT NULL' : ''}`,
    );
    // A table without a schema yet (a load job's CREATE_IF_NEEDED gives it one later) has one placeholder column.
    const ddl = columns.length > 0 ? columns.join(', ') : '"__no_schema" INTEGER';
    return this.#serial(() => this.#con.run(`CREATE TABLE ${qualified(ref)} (${ddl})`)).then(() => undefined);
  }

  dropTable(ref: TableRef): Promise<void> {
    return this.#serial(() => this.#con.run(`DROP TABLE IF EXISTS ${qualified(ref)}`)).then(() => undefined);
  }

  rows(ref: TableRef): Promise<Row[]> {
    return this.#serial(async () => {
      const result = await this.#con.runAndReadAll(`SELECT * FROM ${qualified(ref)}`);
      return result.getRowObjectsJS() as Row[];
    });
  }

  /** A load job: checks every file against the schema, then writes the rows (all or nothing). */
  load(spec: LoadSpec): Promise<number> {
    return this.#serial(async () => {
      const paths = await Promise.all(spec.files.map((f) => this.#localCopy(f)));
      try {
        const tableColumns = await this.#columns(spec.destination);
        for (const c of spec.schema) {
          if (!tableColumns.has(c.name)) {
            throw invalid(
              `Provided Schema does not match Table ${tableKey(spec.destination)}: field ${c.name} is not in the table`,
            );
          }
        }
        const inserts: { columns: string[]; from: string }[] = [];
        for (const [i, file] of spec.files.entries()) {
          const source = await this.#readFile(spec, file.uri, paths[i]!);
          inserts.push({ columns: source.columns.filter((c) => tableColumns.has(c)), from: source.from });
        }
        await this.#con.run('BEGIN TRANSACTION');
        try {
          if (spec.writeDisposition === 'WRITE_TRUNCATE')
            await this.#con.run(`DELETE FROM ${qualified(spec.destination)}`);
          if (spec.writeDisposition === 'WRITE_EMPTY') {
            const n = await this.#con.runAndReadAll(
              `SELECT count(*) AS n FROM ${qualified(spec.destination)}`,
            );
            if (Number(n.getRowObjectsJS()[0]?.n ?? 0) > 0)
              throw invalid(`Already Exists: Table ${tableKey(spec.destination)} (WRITE_EMPTY)`);
          }
          let rows = 0;
          for (const { columns, from } of inserts) {
            if (columns.length === 0) continue;
            const list = columns.map((c) => quoteIdent(c)).join(', ');
            const r = await this.#con.run(
              `INSERT INTO ${qualified(spec.destination)} (${list}) SELECT ${list} FROM ${from}`,
            );
            rows += Number(r.rowsChanged);
          }
          await this.#con.run('COMMIT');
          return rows;
        } catch (err) {
          await this.#con.run('ROLLBACK');
          throw err instanceof HttpError
            ? err
            : invalid(`Error while reading data: ${(err as Error).message}`);
        }
      } finally {
        await Promise.all(paths.map((p) => rm(p, { force: true })));
      }
    });
  }

  async #localCopy(file: SourceFile): Promise<string> {
    const path = join(this.#dir, randomUUID());
    await writeFile(path, file.data);
    return path;
  }

  async #columns(ref: TableRef): Promise<Set<string>> {
    const r = await this.#con.runAndReadAll(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = ${quoteString(`${ref.projectId}.${ref.datasetId}`)} AND table_name = ${quoteString(ref.tableId)}`,
    );
    return new Set(r.getRowObjectsJS().map((x) => String(x.column_name)));
  }

  /** A file's columns, checked against the schema, and a FROM clause that reads it. */
  async #readFile(spec: LoadSpec, uri: string, path: string): Promise<{ columns: string[]; from: string }> {
    const byName = new Map(spec.schema.map((f) => [f.name, f]));
    const format = spec.format.toUpperCase();
    if (format === 'PARQUET') {
      let described: Row[];
      try {
        described = (
          await this.#con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quoteString(path)})`)
        ).getRowObjectsJS() as Row[];
      } catch (err) {
        throw invalid(
          `Error while reading data, error message: ${uri} is not a valid Parquet file: ${(err as Error).message}`,
        );
      }
      const columns = described.map((d) => ({
        name: String(d.column_name),
        type: parquetColumnType(String(d.column_type)),
      }));
      const names = new Set(columns.map((c) => c.name));
      for (const c of columns) {
        const field = byName.get(c.name);
        if (!field) {
          if (spec.ignoreUnknownValues) continue;
          throw invalid(
            `Error while reading data, error message: ${uri}: column ${c.name} is not in the schema (a bad record; ignoreUnknownValues is false and maxBadRecords 0)`,
          );
        }
        if (canonical(field.type) !== c.type) {
          throw invalid(
            `Error while reading data, error message: ${uri}: column ${c.name} has type ${c.type} in the file, ${canonical(field.type)} in the schema`,
          );
        }
      }
      for (const field of spec.schema) {
        const required = (field.mode ?? 'NULLABLE').toUpperCase() === 'REQUIRED';
        if (required && !names.has(field.name)) {
          throw invalid(
            `Error while reading data, error message: ${uri}: required column ${field.name} is missing`,
          );
        }
      }
      const from = `read_parquet(${quoteString(path)})`;
      await this.#checkRequired(spec.schema, [...names], from, uri);
      return { columns: columns.map((c) => c.name).filter((c) => byName.has(c)), from };
    }
    if (format === 'NEWLINE_DELIMITED_JSON') {
      const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '');
      const clean: string[] = [];
      for (const [n, line] of lines.entries()) {
        let row: Record<string, unknown>;
        try {
          row = JSON.parse(line) as Record<string, unknown>;
        } catch {
          throw invalid(`Error while reading data, error message: ${uri}: line ${n + 1} is not JSON`);
        }
        const kept: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(row)) {
          const field = byName.get(k);
          if (!field) {
            if (spec.ignoreUnknownValues) continue;
            throw invalid(
              `Error while reading data, error message: ${uri}: line ${n + 1}: no such field: ${k}`,
            );
          }
          kept[k] =
            field.type.toUpperCase() === 'JSON' && v !== null && typeof v !== 'string'
              ? JSON.stringify(v)
              : v;
        }
        for (const field of spec.schema) {
          if ((field.mode ?? '').toUpperCase() === 'REQUIRED' && (kept[field.name] ?? null) === null) {
            throw invalid(
              `Error while reading data, error message: ${uri}: line ${n + 1}: missing required field ${field.name}`,
            );
          }
        }
        clean.push(JSON.stringify(kept));
      }
      await writeFile(path, clean.join('\n'));
      const columns = spec.schema.map(
        (f) =>
          `${quoteString(f.name)}: ${quoteString(f.type.toUpperCase() === 'JSON' ? 'VARCHAR' : duckType(f))}`,
      );
      const from =
        clean.length === 0
          ? `(SELECT ${spec.schema.map((f) => `NULL::${duckType(f)} AS ${quoteIdent(f.name)}`).join(', ')} WHERE false)`
          : `read_json(${quoteString(path)}, format = 'newline_delimited', columns = {${columns.join(', ')}})`;
      return { columns: spec.schema.map((f) => f.name), from };
    }
    throw invalid(`fake-bigquery: source format ${format} is not modelled`);
  }

  async #checkRequired(
    schema: readonly TableField[],
    present: string[],
    from: string,
    uri: string,
  ): Promise<void> {
    const required = schema.filter(
      (f) => (f.mode ?? '').toUpperCase() === 'REQUIRED' && present.includes(f.name),
    );
    if (required.length === 0) return;
    const r = await this.#con.runAndReadAll(
      `SELECT count(*) AS n FROM ${from} WHERE ${required.map((f) => `${quoteIdent(f.name)} IS NULL`).join(' OR ')}`,
    );
    if (Number(r.getRowObjectsJS()[0]?.n ?? 0) > 0) {
      throw invalid(`Error while reading data, error message: ${uri}: a REQUIRED column holds NULL`);
    }
  }

  /**
   * Runs a query job's SQL (one statement or a script). `externalTables`: the
   * job's tableDefinitions (name → files), readable with `_FILE_NAME`.
   * `startVersions`: the tables' modification counts when the job started.
   */
  run(
    sql: string,
    options: {
      projectId: string;
      params: readonly WireParam[];
      externalTables?: Record<string, { files: SourceFile[]; format: string; schema?: TableField[] }>;
      startVersions: Map<string, number>;
      /** The day-partitioning column of a table ("p.d.t"), for the bytes model. */
      partitionField?: (table: string) => string | undefined;
    },
  ): Promise<ScriptResult> {
    return this.#serial(async () => {
      const params = new Map(
        options.params.map((p) => [p.name ?? '', paramLiteral(p.parameterType, p.parameterValue)]),
      );
      const ctx = { projectId: options.projectId, params, variables: new Map<string, string>() };
      const created: string[] = [];
      /** Temporary tables the script creates: gone when it ends, as in BigQuery. */
      const temporary: string[] = [];
      const copies: string[] = [];
      let inTransaction = false;
      const mutated = new Set<string>();
      let result: ScriptResult = { rows: [], schema: [] };
      let lastAffected = 0;
      let bytes = 0;
      try {
        for (const [name, def] of Object.entries(options.externalTables ?? {})) {
          const parts: string[] = [];
          for (const file of def.files) {
            const path = await this.#localCopy(file);
            copies.push(path);
            const { from } = await this.#readFile(
              {
                files: [file],
                format: def.format,
                destination: { projectId: '', datasetId: '', tableId: '' },
                schema: def.schema ?? [],
                ignoreUnknownValues: def.format.toUpperCase() === 'PARQUET',
                writeDisposition: '',
              },
              file.uri,
              path,
            );
            parts.push(`SELECT *, ${quoteString(file.uri)} AS _FILE_NAME FROM ${from}`);
          }
          await this.#con.run(
            `CREATE OR REPLACE TEMP TABLE ${quoteIdent(name)} AS ${parts.join(' UNION ALL BY NAME ')}`,
          );
          created.push(name);
        }
        for (const statement of splitStatements(sql)) {
          const word = /^\s*([A-Za-z]+)/.exec(statement)?.[1]?.toUpperCase() ?? '';
          if (word === 'DECLARE') {
            const m = /^DECLARE\s+([A-Za-z_]\w*)\s+([A-Za-z0-9_]+)\s+DEFAULT\s+([\s\S]+)$/i.exec(statement);
            if (!m) throw new UnsupportedSqlError(`DECLARE form: ${statement}`);
            ctx.variables.set(m[1]!, await this.#evaluate(m[3]!, m[2]!, ctx));
            continue;
          }
          if (word === 'SET') {
            const m = /^SET\s+([A-Za-z_]\w*)\s*=\s*([\s\S]+)$/i.exec(statement);
            if (!m || !ctx.variables.has(m[1]!))
              throw new UnsupportedSqlError(`SET of an undeclared variable: ${statement}`);
            ctx.variables.set(
              m[1]!,
              /^@@row_count$/i.test(m[2]!.trim())
                ? `${lastAffected}::BIGINT`
                : await this.#evaluate(m[2]!, undefined, ctx),
            );
            continue;
          }
          if (/^BEGIN(\s+TRANSACTION)?$/i.test(statement)) {
            if (inTransaction) throw invalid('Transaction cannot be nested');
            await this.#con.run('BEGIN TRANSACTION');
            inTransaction = true;
            continue;
          }
          if (/^COMMIT(\s+TRANSACTION)?$/i.test(statement)) {
            if (!inTransaction) throw invalid('COMMIT TRANSACTION without BEGIN TRANSACTION');
            this.#checkConflicts(mutated, options.startVersions);
            await this.#con.run('COMMIT');
            inTransaction = false;
            for (const t of mutated) this.#versions.set(t, (this.#versions.get(t) ?? 0) + 1);
            mutated.clear();
            continue;
          }
          if (/^ROLLBACK(\s+TRANSACTION)?$/i.test(statement)) {
            if (!inTransaction) throw invalid('ROLLBACK TRANSACTION without BEGIN TRANSACTION');
            await this.#con.run('ROLLBACK');
            inTransaction = false;
            mutated.clear();
            continue;
          }
          if (
            inTransaction &&
            /^(CREATE|DROP|ALTER)\b/i.test(statement) &&
            !/^(CREATE|DROP)\s+(TEMP|TEMPORARY)\b/i.test(statement)
          ) {
            // https://cloud.google.com/bigquery/docs/transactions#statements_supported_in_transactions
            throw invalid(`${word} of a permanent entity is not supported inside a transaction`);
          }
          checkKnown(statement);
          if (/^CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\b/i.test(statement)) await this.#checkView(statement, ctx);
          const target = mutatedTable(statement, options.projectId);
          bytes += await this.#readBytes(statement, options.projectId, ctx, options.partitionField);
          const temp = /^\s*CREATE\s+TEMP(?:ORARY)?\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([A-Za-z_]\w*)/i.exec(
            statement,
          );
          if (temp) temporary.push(temp[1]!);
          const reader = await this.#con.runAndReadAll(translate(statement, ctx));
          if (target) {
            lastAffected = Number(reader.rowsChanged);
            if (inTransaction) mutated.add(target);
            else this.#versions.set(target, (this.#versions.get(target) ?? 0) + 1);
            result = { rows: [], schema: [], affectedRows: lastAffected };
          } else if (/^(SELECT|WITH)\b/i.test(statement)) {
            const names = reader.columnNames();
            const types = reader.columnTypes().map((t) => resultType(t.toString()));
            result = {
              rows: reader.getRowObjectsJS() as Row[],
              schema: names.map((name, i) => ({ name, type: types[i]!, mode: 'NULLABLE' })),
            };
          }
        }
        if (inTransaction) {
          // A script that ends inside a transaction is rolled back.
          await this.#con.run('ROLLBACK');
          inTransaction = false;
        }
        return { ...result, bytesProcessed: bytes };
      } catch (err) {
        if (inTransaction) await this.#con.run('ROLLBACK');
        if (err instanceof HttpError) throw err;
        throw new HttpError(400, 'invalidQuery', (err as Error).message);
      } finally {
        for (const name of [...created, ...temporary]) {
          await this.#con.run(`DROP TABLE IF EXISTS temp.${quoteIdent(name)}`);
        }
        await Promise.all(copies.map((p) => rm(p, { force: true })));
      }
    });
  }

  /**
   * What a statement reads in BigQuery's on-demand model: storage is columnar
   * and partitioned, so a query reads the columns it names, in the partitions
   * its constant filters on the partitioning column leave
   * (https://cloud.google.com/bigquery/docs/querying-partitioned-tables), each
   * value at its logical size: STRING and BYTES 2 + their bytes,
   * TIMESTAMP/INT64/FLOAT64 8, BOOL 1, JSON its text, NULL 0
   * (https://cloud.google.com/bigquery/pricing#data, "Data size calculation").
   * Counted for every permanent table the statement names other than as the
   * target of INSERT INTO or DELETE FROM: the table's columns the statement
   * names through the table's alias (or anywhere, backquoted, when it has
   * none), in the days of a `col BETWEEN a AND b` on its
   * partitioning column, else in every partition. Not modelled: clustering's
   * block pruning, temporary tables, the 10 MB minimum per table.
   */
  async #readBytes(
    statement: string,
    projectId: string,
    ctx: Parameters<typeof translate>[1],
    partitionField: ((table: string) => string | undefined) | undefined,
  ): Promise<number> {
    const named = new Set<string>();
    for (const m of statement.matchAll(/`([^`]+)`/g)) {
      const parts = m[1]!.split('.');
      if (parts.length >= 2) named.add(parts.length === 3 ? m[1]! : `${projectId}.${m[1]}`);
    }
    const words = new Set([...statement.matchAll(/`([^`.]+)`/g)].map((m) => m[1]!));
    let bytes = 0;
    for (const table of named) {
      const short = table.startsWith(`${projectId}.`) ? table.slice(projectId.length + 1) : table;
      const occurrences = [...statement.matchAll(/(\w+\s+\w+\s+)?`([^`]+)`/g)].filter(
        (m) => m[2] === table || m[2] === short,
      );
      const written = occurrences.every((m) => /^(INSERT\s+INTO|DELETE\s+FROM)\s+$/i.test(m[1] ?? ''));
      if (written) continue;
      const [p, d, t] = table.split('.') as [string, string, string];
      const ref = { projectId: p, datasetId: d, tableId: t };
      const types = await this.#columnTypes(ref);
      // Read through an alias (`t` AS X): the columns named X.`c` (a MERGE's INSERT list names the
      // target's columns it writes, not reads); else every column of the table the statement names.
      const alias = new RegExp(
        `\`(?:${escapeRegExp(table)}|${escapeRegExp(short)})\`\\s+AS\\s+(\\w+)`,
        'i',
      ).exec(statement)?.[1];
      const viaAlias = alias
        ? new Set([...statement.matchAll(new RegExp(`\\b${alias}\\.\`([^\`]+)\``, 'g'))].map((m) => m[1]!))
        : words;
      const columns = [...types.keys()].filter((c) => viaAlias.has(c));
      let where = 'TRUE';
      const field = partitionField?.(table);
      if (field) {
        const bound = `((?:TIMESTAMP\\s+)?'[^']*'|@\\w+)`;
        const m = new RegExp(`\`${field}\`\\s+BETWEEN\\s+${bound}\\s+AND\\s+${bound}`, 'i').exec(statement);
        if (m) {
          const literal = (x: string) => translate(`SELECT ${x}`, ctx).slice('SELECT '.length);
          where = `CAST(${quoteIdent(field)} AS DATE) BETWEEN CAST(${literal(m[1]!)} AS DATE) AND CAST(${literal(m[2]!)} AS DATE)`;
        }
      }
      bytes += await this.#columnBytes(ref, columns, types, where);
    }
    return bytes;
  }

  /**
   * What BigQuery refuses in a view that DuckDB would take: a query parameter
   * in its query ("You can't reference query parameters in views",
   * https://cloud.google.com/bigquery/docs/views-intro#view_limitations), and
   * two columns of one name, in any case (BigQuery: "Duplicate column names in
   * the result are not supported"; DuckDB renames the second `x_1`).
   */
  async #checkView(statement: string, ctx: Parameters<typeof translate>[1]): Promise<void> {
    if (/@[A-Za-z_]/.test(codeOnly(statement).replace(/@@row_count/gi, ''))) {
      throw invalid('Query parameters cannot be used in a view definition');
    }
    const m =
      /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(?:"(?:[^"]|"")*"\.)?"(?:[^"]|"")*"\s+AS\s+([\s\S]+)$/i.exec(
        translate(statement, ctx),
      );
    if (!m) throw new UnsupportedSqlError(`CREATE VIEW form: ${statement.slice(0, 80)}`);
    const described = await this.#con.runAndReadAll(`DESCRIBE ${m[1]}`);
    const seen = new Set<string>();
    const duplicates = new Set<string>();
    for (const row of described.getRowObjectsJS()) {
      const name = String(row.column_name).toLowerCase();
      if (seen.has(name)) duplicates.add(name);
      seen.add(name);
    }
    if (duplicates.size > 0) {
      throw invalid(
        `Duplicate column names in the result are not supported. Found duplicate(s): ${[...duplicates].join(', ')}`,
      );
    }
  }

  async #columnTypes(ref: TableRef): Promise<Map<string, string>> {
    const r = await this.#con.runAndReadAll(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ${quoteString(`${ref.projectId}.${ref.datasetId}`)} AND table_name = ${quoteString(ref.tableId)}`,
    );
    return new Map(r.getRowObjectsJS().map((x) => [String(x.column_name), String(x.data_type)]));
  }

  async #columnBytes(
    ref: TableRef,
    columns: string[],
    types: Map<string, string>,
    where: string,
  ): Promise<number> {
    if (columns.length === 0) return 0;
    const size = columns.map((c) => {
      const type = (types.get(c) ?? '').toUpperCase();
      const q = quoteIdent(c);
      if (type === 'VARCHAR' || type === 'JSON') return `coalesce(2 + strlen(CAST(${q} AS VARCHAR)), 0)`;
      if (type === 'BLOB') return `coalesce(2 + octet_length(${q}), 0)`;
      if (type === 'BOOLEAN') return `CASE WHEN ${q} IS NULL THEN 0 ELSE 1 END`;
      return `CASE WHEN ${q} IS NULL THEN 0 ELSE 8 END`;
    });
    const r = await this.#con.runAndReadAll(
      `SELECT coalesce(sum(${size.join(' + ')}), 0)::BIGINT AS n FROM ${qualified(ref)} WHERE ${where}`,
    );
    return Number(r.getRowObjectsJS()[0]?.n ?? 0);
  }

  /** Raw DuckDB on the fake's tables ("project.dataset"."table"): for seeding benchmarks, never for assertions about SQL. */
  sql(text: string): Promise<Row[]> {
    return this.#serial(async () => (await this.#con.runAndReadAll(text)).getRowObjectsJS() as Row[]);
  }

  /** "Transaction is aborted due to concurrent update against table …" (https://cloud.google.com/bigquery/docs/transactions#transaction_concurrency). */
  #checkConflicts(mutated: Set<string>, start: Map<string, number>): void {
    for (const t of mutated) {
      if ((this.#versions.get(t) ?? 0) !== (start.get(t) ?? 0)) {
        const [p, d, ...rest] = t.split('.');
        throw invalid(
          `Transaction is aborted due to concurrent update against table ${p}:${d}.${rest.join('.')}.`,
        );
      }
    }
  }

  async #evaluate(
    expr: string,
    type: string | undefined,
    ctx: Parameters<typeof translate>[1],
  ): Promise<string> {
    const select = `SELECT ${expr}`;
    checkKnown(select);
    const cast = type
      ? `CAST((${translate(select, ctx).slice('SELECT '.length)}) AS ${duckType({ type })})`
      : translate(select, ctx).slice('SELECT '.length);
    const r = await this.#con.runAndReadAll(`SELECT ${cast} AS v`);
    const duck = r.columnTypes()[0]!.toString();
    const v = r.getRowObjectsJS()[0]?.v;
    if (v === null || v === undefined) return `NULL::${duck}`;
    if (v instanceof Date) return `${quoteString(v.toISOString())}::TIMESTAMPTZ`;
    if (typeof v === 'bigint' || typeof v === 'number') return `${v}::${duck}`;
    return `${quoteString(String(v))}::${duck}`;
  }

  async close(): Promise<void> {
    await this.#queue.catch(() => undefined);
    this.#con.closeSync();
    await rm(this.#dir, { recursive: true, force: true });
  }
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The table a DML statement changes, as "p.d.t", or undefined for a read. */
function mutatedTable(statement: string, projectId: string): string | undefined {
  const m =
    /^\s*(?:INSERT\s+(?:INTO\s+)?|MERGE\s+(?:INTO\s+)?|UPDATE\s+|DELETE\s+(?:FROM\s+)?|TRUNCATE\s+TABLE\s+)`([^`]+)`/i.exec(
      statement,
    );
  if (!m) return undefined;
  const parts = m[1]!.split('.');
  return parts.length === 3 ? parts.join('.') : `${projectId}.${parts.join('.')}`;
}
