// Sockets to one state server, reused like System.Web's ResourcePool: last in, first out, no
// size limit (concurrent requests open parallel sockets), and a timer that every tick disposes
// the sockets that sat unused through the whole previous tick, so idle ones live 1-2 ticks.
import { StateConnection } from './connection.ts';

export const DEFAULT_IDLE_TICK_MS = 5000;

export interface PoolOptions {
  host: string;
  port: number;
  networkTimeoutMs: number;
  idleTickMs?: number;
  /** Source address of the sockets (an emulated web server of a farm on its own loopback address). */
  localAddress?: string;
}

export interface PoolStats {
  idle: number;
  busy: number;
  /** Sockets opened since the pool was created. */
  opened: number;
  /** Idle sockets disposed by the timer. */
  expired: number;
  /** Pooled sockets found dead at checkout and replaced. */
  replaced: number;
}

interface IdleEntry {
  connection: StateConnection;
  returnedAtTick: number;
}

export class ConnectionPool {
  private readonly idle: IdleEntry[] = [];
  private readonly busy = new Set<StateConnection>();
  private tick = 0;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private readonly counters = { opened: 0, expired: 0, replaced: 0 };

  constructor(private readonly options: PoolOptions) {
    this.timer = setInterval(() => this.expire(), options.idleTickMs ?? DEFAULT_IDLE_TICK_MS);
    this.timer.unref();
  }

  async checkout(): Promise<StateConnection> {
    if (this.closed) throw new Error('connection pool is closed');
    for (let entry = this.idle.pop(); entry; entry = this.idle.pop()) {
      if (!entry.connection.dead) return this.lend(entry.connection);
      // The server (or the network) closed it while it sat in the pool.
      entry.connection.destroy();
      this.counters.replaced++;
    }
    const { host, port, networkTimeoutMs } = this.options;
    const connection = await StateConnection.open(host, port, networkTimeoutMs, this.options.localAddress);
    this.counters.opened++;
    // Closed while connecting (an app restart): the request still runs, then checkin drops it.
    return this.lend(connection);
  }

  /** Returns a socket after a complete reply; a dead one, or any after close(), is dropped. */
  checkin(connection: StateConnection): void {
    this.busy.delete(connection);
    if (this.closed || connection.dead) {
      connection.destroy();
      return;
    }
    connection.park();
    this.idle.push({ connection, returnedAtTick: this.tick });
  }

  discard(connection: StateConnection): void {
    this.busy.delete(connection);
    connection.destroy();
  }

  stats(): PoolStats {
    return { idle: this.idle.length, busy: this.busy.size, ...this.counters };
  }

  /** Disposes idle sockets now; sockets in use are dropped when they come back. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const entry of this.idle.splice(0)) entry.connection.destroy();
  }

  private lend(connection: StateConnection): StateConnection {
    this.busy.add(connection);
    return connection;
  }

  private expire(): void {
    this.tick++;
    // Kept: returned during the tick that just ended. Everything older was unused all along.
    const keep = this.idle.filter((e) => e.returnedAtTick >= this.tick - 1 && !e.connection.dead);
    for (const entry of this.idle) {
      if (!keep.includes(entry)) {
        if (!entry.connection.dead) this.counters.expired++;
        entry.connection.destroy();
      }
    }
    this.idle.splice(0, this.idle.length, ...keep);
  }
}
