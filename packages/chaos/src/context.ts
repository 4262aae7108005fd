// What every scenario gets from the runner: its directory, the log book, the
// emulators, the proxy in front of Pub/Sub, the fake GCS server.
import type { FakeGcsServer } from '@eventkit/testing';
import type { ScenarioResult } from './measure.ts';
import type { LogBook } from './proc.ts';
import type { TcpProxy } from './proxy.ts';

export interface ChaosContext {
  /** A fresh directory for the scenario. */
  dir: string;
  book: LogBook;
  /** 127.0.0.1:PORT of the Pub/Sub emulator itself. */
  pubsubHost: string;
  /** The proxy in front of it (up when a scenario starts). */
  proxy: TcpProxy;
  /** 127.0.0.1:PORT of the Firestore emulator. */
  firestoreHost: string;
  gcs: FakeGcsServer;
  say(line: string): void;
}

export interface Scenario {
  name: string;
  /** One line: what is done to the pipeline. */
  fault: string;
  run(ctx: ChaosContext): Promise<ScenarioResult>;
}
