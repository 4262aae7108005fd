// Contract test suites, reused by every adapter's tests. Imported only from
// tests (they register node:test suites).
export { objectStoreContract, type ObjectStoreUnderTest } from './object-store.contract.ts';
export { eventually, queueContract, type QueueUnderTest } from './queue.contract.ts';
export {
  type DeadLetterStoreUnderTest,
  deadLetterStoreContract,
  type EventSinkUnderTest,
  eventSinkContract,
  sampleDeadLetter,
  sampleEvent,
} from './sinks.contract.ts';
export { type ContractRow, contractRow, warehouseContract, type WarehouseUnderTest } from './warehouse.contract.ts';
