/** `npm start`'s landing page over the samples of a test environment, on a free port. */
import type { AddressInfo } from 'node:net';
import { createLandingApp } from '../../samples/landing/app.ts';
import { closeServer, listen } from '../../shared/run/http-server.ts';
import type { TestEnvironment } from './environment.ts';

export interface Landing {
  url: string;
  close(): Promise<void>;
}

export async function startLanding(env: TestEnvironment): Promise<Landing> {
  const landing = createLandingApp(
    Object.values(env.samples).map((sample) => ({
      id: sample.name,
      displayName: sample.definition.registration.displayName,
      url: sample.url,
      onGlobalSignOut: sample.definition.onGlobalSignOut,
      timeline: sample.timeline,
    })),
    env.emulator.identityUrl,
  );
  const server = await listen(landing.app.callback(), 0, 'LANDING_PORT');
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    async close() {
      landing.close();
      await closeServer(server);
    },
  };
}
