// A TCP relay for tests that re-cuts the byte stream at random points in both directions:
// it splits chunks into small pieces and merges several chunks into one write, with short
// random pauses. It records what passed each way, per connection.
import net from 'node:net';

export interface RelayedConnection {
  /** Bytes from the connecting side toward the target, and back. */
  forward: Buffer[];
  backward: Buffer[];
}

export interface ResegmentingRelay {
  port: number;
  connections: RelayedConnection[];
  close(): Promise<void>;
}

function pump(from: net.Socket, to: net.Socket, log: Buffer[], rand: () => number): void {
  let queue = Buffer.alloc(0);
  let scheduled = false;
  let ended = false;
  const flush = () => {
    scheduled = false;
    while (queue.length > 0) {
      // Sometimes wait for more bytes so that pieces merge; otherwise cut a random piece.
      if (!ended && rand() < 0.2) break;
      const n = Math.max(1, Math.min(queue.length, Math.floor(rand() * 48)));
      if (!to.destroyed) to.write(queue.subarray(0, n));
      queue = queue.subarray(n);
    }
    if (queue.length > 0) schedule();
    else if (ended && !to.destroyed) to.end();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    if (rand() < 0.5) setImmediate(flush);
    else setTimeout(flush, Math.floor(rand() * 3));
  };
  from.on('data', (chunk: Buffer) => {
    log.push(Buffer.from(chunk));
    queue = Buffer.concat([queue, chunk]);
    schedule();
  });
  from.on('end', () => {
    ended = true;
    schedule();
  });
}

export async function startResegmentingRelay(targetPort: number, seed = 1): Promise<ResegmentingRelay> {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const sockets = new Set<net.Socket>();
  const connections: RelayedConnection[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (inbound) => {
    const outbound = net.connect({ port: targetPort, host: '127.0.0.1', allowHalfOpen: true });
    const record: RelayedConnection = { forward: [], backward: [] };
    connections.push(record);
    for (const sock of [inbound, outbound]) {
      sockets.add(sock);
      sock.setNoDelay(true);
      sock.on('close', () => sockets.delete(sock));
      sock.on('error', () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    pump(inbound, outbound, record.forward, rand);
    pump(outbound, inbound, record.backward, rand);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    close: async () => {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
