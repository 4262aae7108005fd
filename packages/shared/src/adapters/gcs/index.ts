export { createStorageClient, type StorageClientOptions } from './client.ts';
export { GcsObjectStore, type GcsObjectStoreOptions } from './gcs-object-store.ts';
