/**
 * `l4trace replay FILE --gdb [HOST:]PORT`: a TCP listener for one gdb at a time. The replay debugging
 * session runs in a worker thread (worker.ts); this side relays bytes. A second client while one is
 * connected is refused (closed at once, with a line on stderr); the session ends when its client leaves
 * (detach, kill, or a closed connection), as rr's does.
 */
import net from 'node:net';
import { MessageChannel, Worker } from 'node:worker_threads';

export interface GdbServerOptions {
  host: string;
  port: number;
  imagesDir?: string;
  /** Memory for the session's checkpoints, in MiB. */
  checkpointMb: number;
  /** Status lines (listening, client connected, refused clients, protocol notes). */
  log: (line: string) => void;
  /** Called once the listener is bound, with the port it got (tests ask for port 0). */
  onListening?: (port: number) => void;
}

export class GdbServerError extends Error {}

/** Parse `[HOST:]PORT`. */
export function parseGdbAddress(text: string): { host: string; port: number } | null {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

/** Serve the trace's replay to gdb until the session ends. Rejects when the port cannot be had. */
export function serveGdb(file: string, opts: GdbServerOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    let client: net.Socket | null = null;
    let finished = false;
    const server = net.createServer((sock) => {
      if (client || finished) {
        opts.log(`refused a second gdb client from ${sock.remoteAddress ?? '?'} (one at a time)`);
        sock.destroy();
        return;
      }
      client = sock;
      opts.log(`gdb connected from ${sock.remoteAddress ?? '?'}`);
      run(sock);
    });
    const finish = (err?: Error): void => {
      if (finished) return;
      finished = true;
      server.close();
      if (client && !client.destroyed) client.end();
      if (err) reject(err);
      else resolve();
    };
    server.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') finish(new GdbServerError(`port ${opts.port} on ${opts.host} is in use`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') finish(new GdbServerError(`cannot listen on ${opts.host}: no such local address`));
      else if (e.code === 'EACCES') finish(new GdbServerError(`not allowed to listen on port ${opts.port}`));
      else finish(e);
    });
    server.listen(opts.port, opts.host, () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
      opts.onListening?.(port);
    });

    function run(sock: net.Socket): void {
      const signal = new SharedArrayBuffer(4);
      const counter = new Int32Array(signal);
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: { file, checkpointMb: opts.checkpointMb, ...(opts.imagesDir ? { imagesDir: opts.imagesDir } : {}), signal, port: port2 },
        transferList: [port2],
      });
      const toWorker = (msg: { data?: Uint8Array; closed?: boolean }): void => {
        port1.postMessage(msg);
        Atomics.add(counter, 0, 1);
        Atomics.notify(counter, 0);
      };
      sock.on('data', (data) => toWorker({ data: new Uint8Array(data) }));
      sock.on('close', () => toWorker({ closed: true }));
      sock.on('error', () => toWorker({ closed: true }));
      worker.on('message', (m: { out?: Uint8Array; log?: string; done?: boolean; error?: string }) => {
        if (m.out && !sock.destroyed) sock.write(m.out);
        if (m.log) opts.log(m.log);
        if (m.done) {
          sock.end();
          finish();
        }
        if (m.error) finish(new Error(`internal error in the gdb stub: ${m.error}`));
      });
      worker.on('error', (e) => finish(new Error(`internal error in the gdb stub: ${e.stack ?? e.message}`)));
      worker.on('exit', () => {
        port1.close();
        finish();
      });
    }
  });
}
