// Preloaded into the real loader CLI (NODE_OPTIONS=--import=<this file>) by the
// loader-kill scenario: the first statement that records files in the ledger
// (`INSERT INTO …_loaded_files`, inside the load transaction, after the rows
// were inserted) says so on stderr and never returns, so the runner can
// SIGKILL the process exactly between the load and the ledger.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const loaderPackage = fileURLToPath(new URL('../../../loader/package.json', import.meta.url));
const duckdb = createRequire(loaderPackage)('@duckdb/node-api') as {
  DuckDBConnection: { prototype: { run: (sql: string, ...rest: unknown[]) => Promise<unknown> } };
};
const proto = duckdb.DuckDBConnection.prototype;
const run = proto.run;
proto.run = async function (this: unknown, sql: string, ...rest: unknown[]) {
  if (/^\s*INSERT INTO\s+\S*_loaded_files/i.test(sql)) {
    process.stderr.write('chaos-hook: between-load-and-ledger\n');
    setInterval(() => {}, 1000);
    await new Promise(() => {});
  }
  return run.call(this, sql, ...rest);
};
