export { fnv1a32, type PartitionKeySource, partitionFor, partitionKey } from './partitioner.ts';
