/**
 * The gdb stub's worker thread: the replay debugging session and the stub run here, synchronously; the
 * main thread (server.ts) only moves bytes between the TCP socket and this thread. A stopped session
 * waits for gdb's bytes with Atomics.wait on a shared counter the main thread bumps after each message,
 * so the machine can pause anywhere (inside the interpreter) without unwinding.
 *
 * Protocol: in, on `port`: { data: Uint8Array } | { closed: true }; out, on parentPort: { out: Uint8Array },
 * { log: string }, { done: true }, { error: string }.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { TraceReader } from '../../tracer/reader.js';
import { DebugSession } from '../debug/session.js';
import { GdbStub, type StubIo } from './stub.js';

interface WorkerInput {
  file: string;
  checkpointMb: number;
  imagesDir?: string;
  signal: SharedArrayBuffer;
  port: MessagePort;
}

const { file, checkpointMb, imagesDir, signal, port } = workerData as WorkerInput;
const counter = new Int32Array(signal);
let closed = false;

/** One message from the main thread, waiting for it when `wait`; undefined when none came. */
function take(wait: boolean): Uint8Array | null | undefined {
  for (;;) {
    if (closed) return null;
    const seen = Atomics.load(counter, 0);
    const m = receiveMessageOnPort(port);
    if (m) {
      const msg = m.message as { data?: Uint8Array; closed?: boolean };
      if (msg.closed) {
        closed = true;
        return null;
      }
      return msg.data ?? new Uint8Array(0);
    }
    if (!wait) return undefined;
    Atomics.wait(counter, 0, seen);
  }
}

const io: StubIo = {
  read: () => take(true) ?? null,
  poll: () => {
    const got = take(false);
    return got === undefined ? new Uint8Array(0) : got;
  },
  write: (bytes) => parentPort!.postMessage({ out: bytes }),
};

try {
  const reader = TraceReader.open(file);
  const session = new DebugSession(reader, file, { checkpointMb });
  const stub = new GdbStub(io, { ...(imagesDir ? { imagesDir } : {}), log: (line) => parentPort!.postMessage({ log: line }) });
  session.serve(stub);
  parentPort!.postMessage({ done: true });
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).stack ?? String(e) });
}
