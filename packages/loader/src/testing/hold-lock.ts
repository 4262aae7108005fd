// Test fixture, run as a child process: opens a DuckDB file for writing (as a
// load does), says "held" on stdout, keeps it for <ms>, closes it and exits.
//   node hold-lock.ts <file> <ms>
import { DuckDBInstance } from '@duckdb/node-api';

const [file, ms] = process.argv.slice(2);
if (!file || !ms) throw new Error('usage: hold-lock.ts <file> <ms>');
const instance = await DuckDBInstance.create(file);
process.stdout.write('held\n');
await new Promise((r) => setTimeout(r, Number(ms)));
instance.closeSync();
