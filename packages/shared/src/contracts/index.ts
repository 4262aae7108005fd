// Contract test suites, reused by every adapter's tests. Imported only from
// tests (they register vitest suites).
export { type ObjectStoreUnderTest, objectStoreContract } from './object-store.contract.ts';
export { eventually, type QueueUnderTest, queueContract } from './queue.contract.ts';
export {
  type DeadLetterStoreUnderTest,
  deadLetterStoreContract,
  type EventSinkUnderTest,
  eventSinkContract,
  sampleDeadLetter,
  sampleEvent,
} from './sinks.contract.ts';
export {
  type ContractRow,
  contractRow,
  type WarehouseUnderTest,
  warehouseContract,
} from './warehouse.contract.ts';
