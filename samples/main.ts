/**
 * `npm start`: the emulator (unless one is already running), the five samples, and a landing page
 * that shows them side by side with what each one's token cache holds, live.
 *
 * `npm run emulator` (`--emulator-only`): the emulator alone, with the five samples' apps
 * registered, for samples started in other terminals.
 */
import { runCommand } from '../shared/run/command-line.ts';
import { closeServer, listen } from '../shared/run/http-server.ts';
import { startProject } from '../shared/run/orchestrator.ts';
import { allSamples, instancesWithRedis } from './index.ts';
import { createLandingApp } from './landing/app.ts';

const emulatorOnly = process.argv.includes('--emulator-only');

await runCommand(async (log) => {
  if (emulatorOnly) {
    return startProject({
      definitions: allSamples,
      run: [],
      emulator: 'own',
      instancesWithRedis,
      log,
    });
  }
  const project = await startProject({
    definitions: allSamples,
    emulator: 'shared',
    landing: true,
    instancesWithRedis,
    log,
  });
  const landing = createLandingApp(
    project.samples.map(({ name, instance, url, definition, timeline, settings }) => ({
      id: instance.of > 1 ? `${name}-${instance.number}` : name,
      displayName:
        instance.of > 1
          ? `${definition.registration.displayName}, instance ${instance.number} of ${instance.of}`
          : definition.registration.displayName,
      url,
      onGlobalSignOut: definition.onGlobalSignOut,
      // Who signed in, and when, is the inspector's to show: off against Entra unless asked for.
      ...(settings.sample.cacheInspector ? { timeline } : {}),
    })),
    project.settings.emulator?.identityUrl,
  );
  const port = project.settings.landingPort ?? 3000;
  const server = await listen(landing.app.callback(), port, 'LANDING_PORT').catch(async (error) => {
    landing.close();
    await project.close();
    throw error;
  });
  log.info(`\nOpen http://localhost:${port}`);
  return {
    async close() {
      landing.close();
      await closeServer(server);
      await project.close();
    },
  };
});
