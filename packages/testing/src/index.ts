// @eventkit/testing: test-only infrastructure. Never imported by runtime code.

export { type BenchReport, type Figure, figure, median, writeBenchReport } from './bench/figures.ts';
export * from './browser/index.ts';
export { helpOptions } from './cli/help-options.ts';
export {
  type EmulatorHandle,
  type EmulatorOptions,
  type FirestoreEmulatorHandle,
  resetFirestore,
  startFirestoreEmulator,
  startPubsubEmulator,
} from './emulators/emulators.ts';
export { freeLoopbackPort, processGroupAlive } from './emulators/process-group.ts';
export { gcloudSdkRoot } from './emulators/sdk-root.ts';
export { type EmulatorHosts, useEmulators } from './emulators/use-emulators.ts';
export {
  bigQueryErrors,
  type FakeBigQueryClientOptions,
  type FakeBigQueryOptions,
  type FakeBigQueryServer,
  type FakeTable,
  jobError,
  startFakeBigQuery,
} from './fake-bigquery/fake-bigquery-server.ts';
export type {
  ErrorProto,
  FakeJob,
  JobHandler,
  JobScript,
  JobState,
  JobType,
  QueryContext,
  QueryHandler,
  QueryResult,
} from './fake-bigquery/model.ts';
export type { Row, TableField } from './fake-bigquery/rows.ts';
export { crc32cBase64, md5Base64 } from './fake-gcs/checksums.ts';
export {
  type FakeGcsClientOptions,
  type FakeGcsObject,
  type FakeGcsServer,
  startFakeGcs,
} from './fake-gcs/fake-gcs-server.ts';
export type { NewObject } from './fake-gcs/store.ts';
export { TEST_ACCESS_TOKEN, testAuthClient } from './http/auth.ts';
export { type FaultSpec, Faults, type RequestInfo, type RequestMatcher } from './http/faults.ts';
export type { RecordedRequest } from './http/server-kit.ts';
export { startTcpProxy, type TcpProxy } from './net/tcp-proxy.ts';
export { type CliProcess, type CliProcessOptions, REPO_ROOT, startCli } from './process/cli-process.ts';
