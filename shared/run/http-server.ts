import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import { StartupError } from '../core/errors.ts';

/**
 * Serves `handler` on the loopback interface. Only this machine can reach the samples: they are
 * development servers, put behind a TLS-terminating proxy to be reached from elsewhere.
 */
export async function listen(
  handler: RequestListener,
  port: number,
  /** The variable that sets the port, named when it cannot be used. */
  variable: string,
): Promise<Server> {
  // A request has 20 seconds to send its headers and 30 to send all of it: a client that stalls
  // cannot hold a connection open for Node's default five minutes.
  const server = createServer({ headersTimeout: 20_000, requestTimeout: 30_000 }, handler);
  server.listen(port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new StartupError(
        `Port ${port} (${variable}) is already in use: stop what uses it, or set ${variable}`,
      );
    }
    if (code === 'EACCES') {
      throw new StartupError(
        `Port ${port} (${variable}) needs privileges this process does not have: choose a port above 1023`,
      );
    }
    throw error;
  }
  return server;
}

/** Stops a server now: open connections (keep-alive ones included) are closed, not waited for. */
export async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  server.closeAllConnections();
  await once(server.close(), 'close');
}
