/**
 * `npm start`: the emulator (unless one is already running), the four samples, and a landing page
 * that shows them side by side with what each one's token cache holds, live.
 */

import { closeServer } from '../shared/close-server.ts';
import { loadLandingPort } from '../shared/config/settings.ts';
import { listen, runSamples } from '../shared/web/run-sample.ts';
import { onGlobalSignOut, sampleFactories } from './index.ts';
import { createLandingApp } from './landing/app.ts';

await runSamples(sampleFactories, async (samples, identityUrl) => {
  const port = loadLandingPort();
  const landing = createLandingApp(
    samples.map(({ url, settings }) => ({
      name: settings.sample.name,
      displayName: settings.sample.registration.displayName,
      url,
      onGlobalSignOut: onGlobalSignOut[settings.sample.name],
    })),
    identityUrl,
  );
  const server = await listen(landing.callback(), port);
  return { url: `http://localhost:${port}`, close: () => closeServer(server) };
});
