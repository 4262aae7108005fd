// The in-memory adapters against the shared contracts.
import {
  deadLetterStoreContract,
  eventSinkContract,
  queueContract,
  warehouseContract,
} from '../../contracts/index.ts';
import type { LoadFile } from '../../ports/warehouse.ts';
import { MemoryObjectStore } from './memory-object-store.ts';
import { MemoryQueue } from './memory-queue.ts';
import { MemoryDeadLetterStore, MemoryEventSink } from './memory-sinks.ts';
import { MemoryWarehouse, type WarehouseRowLike } from './memory-warehouse.ts';

queueContract('memory (resolve on enqueue)', async () => {
  const q = new MemoryQueue({ minBackoffMs: 5 });
  return { publisher: q, subscriber: (flow) => q.subscriber(flow), cleanup: () => q.close() };
});

eventSinkContract('memory', async () => {
  const sink = new MemoryEventSink();
  return { sink, readBack: async () => sink.events(), cleanup: async () => {} };
});

deadLetterStoreContract('memory', async () => ({
  store: new MemoryDeadLetterStore(),
  cleanup: async () => {},
}));

warehouseContract('memory', async () => {
  const files = new MemoryObjectStore();
  const warehouse = new MemoryWarehouse(async (file: LoadFile) => {
    const text = (await files.get(file.key)).toString();
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as WarehouseRowLike);
  });
  let n = 0;
  return {
    warehouse,
    stageFile: async (rows) => {
      const info = await files.put(
        `events/f-${++n}.ndjson`,
        Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n')),
      );
      return { key: info.key, uri: info.uri, size: info.size };
    },
    eventKeys: async () =>
      warehouse.tables.events.map((r) => ({ source: String(r.source), message_id: String(r.message_id) })),
    cleanup: async () => {},
  };
});
