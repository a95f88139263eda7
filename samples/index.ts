/**
 * The five samples, in the order of today's documentation page's tabs. Each folder declares itself:
 * `registration.ts` (its app registration), `sign-out.ts` (its sign-out policy), `app.ts` (its
 * routes), `main.ts` (`npm run sample:<name>`).
 */
import type { SampleDefinition } from '../shared/sample/contract.ts';
import { createAspNetRoutes } from './aspnet/app.ts';
import { registration as aspnet } from './aspnet/registration.ts';
import { onGlobalSignOut as aspnetOnGlobalSignOut } from './aspnet/sign-out.ts';
import { createAspNetCoreRoutes } from './aspnetcore/app.ts';
import { registration as aspnetcore } from './aspnetcore/registration.ts';
import { onGlobalSignOut as aspnetcoreOnGlobalSignOut } from './aspnetcore/sign-out.ts';
import { createJavaRoutes } from './java/app.ts';
import { registration as java } from './java/registration.ts';
import { onGlobalSignOut as javaOnGlobalSignOut } from './java/sign-out.ts';
import { createNodeRoutes } from './node/app.ts';
import { registration as node } from './node/registration.ts';
import { onGlobalSignOut as nodeOnGlobalSignOut } from './node/sign-out.ts';
import { createPythonRoutes } from './python/app.ts';
import { registration as python } from './python/registration.ts';
import { onGlobalSignOut as pythonOnGlobalSignOut } from './python/sign-out.ts';

export const samples = {
  aspnetcore: {
    registration: aspnetcore,
    onGlobalSignOut: aspnetcoreOnGlobalSignOut,
    createRoutes: createAspNetCoreRoutes,
  },
  aspnet: {
    registration: aspnet,
    onGlobalSignOut: aspnetOnGlobalSignOut,
    createRoutes: createAspNetRoutes,
  },
  java: {
    registration: java,
    onGlobalSignOut: javaOnGlobalSignOut,
    createRoutes: createJavaRoutes,
  },
  node: {
    registration: node,
    onGlobalSignOut: nodeOnGlobalSignOut,
    createRoutes: createNodeRoutes,
  },
  python: {
    registration: python,
    onGlobalSignOut: pythonOnGlobalSignOut,
    createRoutes: createPythonRoutes,
  },
} satisfies Record<string, SampleDefinition>;

export type SampleName = keyof typeof samples;

/** All five, in tab order. */
export const allSamples: SampleDefinition[] = Object.values(samples);
export const sampleNames = Object.keys(samples) as SampleName[];

/**
 * With REDIS_URL, `npm start` runs two instances of aspnetcore: a sign-out on one reaches the
 * other. Every emulator registers their URLs (for an `npm start` in another terminal), and so does
 * `npm run register`.
 */
export const instancesWithRedis: Readonly<Record<string, number>> = { aspnetcore: 2 };
