import type { Server } from 'node:http';

/** Closes an HTTP server, keep-alive connections included, so that the process can exit. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
}
