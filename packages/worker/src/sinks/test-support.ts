// Reading back what the object-store sinks wrote, for the contract suites.
import type { RoutedEvent } from '@eventkit/shared/event';
import { keyPrefix } from '@eventkit/shared/layout';
import { listAll, type ObjectStore } from '@eventkit/shared/ports';
import { type ParquetEncoder, rowToRoutedEvent } from './parquet.ts';

/** Every event in every Parquet file under `{prefix}events/`. */
export async function readBackEvents(
  store: ObjectStore,
  prefix: string,
  encoder: ParquetEncoder,
): Promise<RoutedEvent[]> {
  const out: RoutedEvent[] = [];
  for await (const info of listAll(store, `${keyPrefix(prefix)}events/`)) {
    const rows = await encoder.readRows(await store.get(info.key));
    out.push(...rows.map(rowToRoutedEvent));
  }
  return out;
}
