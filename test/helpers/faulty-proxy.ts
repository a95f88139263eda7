import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** What the proxy does with the next requests. */
type Fault =
  | { kind: 'forward' }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'answer'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'hold'; arrived: () => void; released: Promise<void> };

/**
 * An HTTP proxy on a fixed local port in front of a real server (the Graph-like API, the identity
 * platform), to make faults happen for real: `stop()` closes the port (connection refused),
 * `start()` opens it again, and each request can be forwarded, left hanging, reset, answered with
 * an error status, or held until the test releases it.
 */
export class FaultyProxy {
  #server: Server | undefined;
  #faults: Fault[] = [];

  constructor(
    readonly port: number,
    private readonly target: string,
    /** The host name its clients use (the emulator's is another site than the samples'). */
    private readonly host = 'localhost',
  ) {}

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      void this.handle(request, response);
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await once(server.close(), 'close');
  }

  /** The next `count` requests get this fault; then requests are forwarded again. */
  next(
    fault:
      | 'forward'
      | 'hang'
      | 'reset'
      | { status: number; body: unknown; headers?: Record<string, string> },
    count = 1,
  ): void {
    for (let index = 0; index < count; index += 1) {
      this.#faults.push(typeof fault === 'string' ? { kind: fault } : { kind: 'answer', ...fault });
    }
  }

  /** The faults not yet spent are dropped: requests are forwarded again. */
  clearFaults(): void {
    this.#faults = [];
  }

  /**
   * Holds the next request: resolves `arrived` once it is in, and forwards it when `release()` is
   * called. A test can then do something else (sign out) while that request is in flight.
   */
  holdNext(): { arrived: Promise<void>; release: () => void } {
    let arrived!: () => void;
    let release!: () => void;
    const arrival = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#faults.push({ kind: 'hold', arrived, released });
    return { arrived: arrival, release };
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const fault = this.#faults.shift() ?? { kind: 'forward' };
    if (fault.kind === 'hang') return;
    if (fault.kind === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault.kind === 'answer') {
      response.writeHead(fault.status, { ...fault.headers, 'content-type': 'application/json' });
      response.end(JSON.stringify(fault.body));
      return;
    }
    if (fault.kind === 'hold') {
      fault.arrived();
      await fault.released;
    }
    const body = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      request
        .on('data', (chunk: Buffer) => chunks.push(chunk))
        .on('end', () => resolve(Buffer.concat(chunks)));
    });
    const headers = Object.fromEntries(
      Object.entries(request.headers).flatMap(([name, value]) =>
        typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)
          ? [[name, value]]
          : [],
      ),
    );
    try {
      const upstream = await fetch(this.target + (request.url ?? '/'), {
        method: request.method ?? 'GET',
        headers,
        ...(body.length > 0 ? { body } : {}),
        redirect: 'manual',
      });
      const hopByHop = ['connection', 'keep-alive', 'transfer-encoding', 'content-length'];
      response.writeHead(
        upstream.status,
        Object.fromEntries([...upstream.headers].filter(([name]) => !hopByHop.includes(name))),
      );
      response.end(Buffer.from(await upstream.arrayBuffer()));
    } catch {
      request.socket.destroy();
    }
  }
}
