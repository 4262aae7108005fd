export { MemoryObjectStore } from './memory-object-store.ts';
export { MemoryQueue, type MemoryQueueOptions, QueueClosedError } from './memory-queue.ts';
export { FaultSwitch, MemoryDeadLetterStore, MemoryEventSink } from './memory-sinks.ts';
export { MemoryWarehouse, type RowReader, type WarehouseRowLike } from './memory-warehouse.ts';
