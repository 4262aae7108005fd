// Reading back what the object-store sinks wrote, for the contract suites.
import { keyPrefix, listAll, type ObjectStore, type RoutedEvent } from '@eventkit/shared';
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
