import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import { StartupError } from '../errors.ts';

/**
 * Serves `handler` on the loopback interface. Only this machine can reach the samples: they are
 * development servers, put behind a TLS-terminating proxy to be reached from elsewhere.
 */
export async function listen(handler: RequestListener, port: number): Promise<Server> {
  const server = createServer(handler);
  server.listen(port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new StartupError(`Port ${port} is already in use`);
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
