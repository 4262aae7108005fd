export { FileObjectStore, InvalidObjectKeyError } from './file-object-store.ts';
