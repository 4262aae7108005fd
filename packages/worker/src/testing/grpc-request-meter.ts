// A TCP proxy in front of a gRPC server (the Firestore emulator) that measures
// the size of every request message on the wire: the fake half of Firestore's
// "Maximum API request size: 10 MiB" (https://cloud.google.com/firestore/quotas),
// which the emulator does not apply (it refuses over 4 MiB, gRPC's default).
//
// It reads the client's HTTP/2 frames without changing them: the DATA payloads
// of a stream, up to END_STREAM, are one unary request (a 5-byte gRPC prefix +
// the protobuf message). Cleartext HTTP/2 only (the emulator's).
import { connect, createServer, type Socket } from 'node:net';

export interface GrpcRequestMeter {
  /** `127.0.0.1:PORT`, to give the client as its host. */
  readonly host: string;
  /** Encoded size of each request message, in the order the requests ended. */
  readonly requests: number[];
  close(): Promise<void>;
}

const PREFACE_BYTES = 24; // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
const FRAME_HEADER_BYTES = 9;
const DATA = 0x0;
const END_STREAM = 0x1;
const PADDED = 0x8;
const GRPC_PREFIX_BYTES = 5;

/** Starts the proxy on a free loopback port, forwarding to `target` (`host:port`). */
export async function startGrpcRequestMeter(target: string): Promise<GrpcRequestMeter> {
  const [targetHost = '127.0.0.1', targetPort = ''] = target.split(':');
  const requests: number[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(targetPort), targetHost);
    sockets.add(client).add(upstream);
    const parse = frameCounter((bytes) => requests.push(bytes - GRPC_PREFIX_BYTES));
    client.on('data', (chunk: Buffer) => {
      parse(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Feeds the client→server byte stream; calls `onRequest` with a stream's DATA bytes at END_STREAM. */
function frameCounter(onRequest: (bytes: number) => void): (chunk: Buffer) => void {
  let buffered: Buffer = Buffer.alloc(0);
  let prefaceLeft = PREFACE_BYTES;
  const perStream = new Map<number, number>();
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    if (prefaceLeft > 0) {
      const skip = Math.min(prefaceLeft, buffered.length);
      prefaceLeft -= skip;
      buffered = buffered.subarray(skip);
    }
    while (buffered.length >= FRAME_HEADER_BYTES) {
      const length = buffered.readUIntBE(0, 3);
      if (buffered.length < FRAME_HEADER_BYTES + length) break;
      const type = buffered[3]!;
      const flags = buffered[4]!;
      const stream = buffered.readUInt32BE(5) & 0x7fffffff;
      if (type === DATA) {
        const padding = flags & PADDED ? buffered[FRAME_HEADER_BYTES]! + 1 : 0;
        perStream.set(stream, (perStream.get(stream) ?? 0) + length - padding);
        if (flags & END_STREAM) {
          const total = perStream.get(stream) ?? 0;
          perStream.delete(stream);
          if (total >= GRPC_PREFIX_BYTES) onRequest(total);
        }
      }
      buffered = buffered.subarray(FRAME_HEADER_BYTES + length);
    }
  };
}
