// The body of an encoding thread (node:worker_threads): columns in, one
// Parquet file out (its bytes transferred, not copied), or the rows refused.
// Stateless: a thread that dies loses only the job it held, which the pool
// fails so that the batch is retried.
import { parentPort } from 'node:worker_threads';
import { type Columns, writeParquet } from './write.ts';

export interface ThreadJob {
  id: number;
  columns: Columns;
}

export type ThreadResult =
  | { id: number; file: Uint8Array }
  | { id: number; rejected: { index: number; reason: { code: string; message: string } }[] }
  | { id: number; error: string };

parentPort?.on('message', ({ id, columns }: ThreadJob) => {
  let result: ThreadResult;
  try {
    result = { id, ...writeParquet(columns) };
  } catch (err) {
    result = { id, error: (err as Error).message };
  }
  if ('file' in result) parentPort?.postMessage(result, [result.file.buffer as ArrayBuffer]);
  else parentPort?.postMessage(result);
});
