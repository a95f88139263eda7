import type { SampleName } from '../shared/app-registrations.ts';
import type { SampleFactory } from '../shared/web/sample-app.ts';
import { createAspNetSample } from './aspnet/app.ts';
import { createAspNetCoreSample } from './aspnetcore/app.ts';
import { createJavaSample } from './java/app.ts';
import { createPythonSample } from './python/app.ts';

/** The four samples, in the order of the documentation page's tabs. */
export const sampleFactories: Record<SampleName, SampleFactory> = {
  aspnetcore: createAspNetCoreSample,
  aspnet: createAspNetSample,
  java: createJavaSample,
  python: createPythonSample,
};

/** What the documentation page says each sample does when the user signs out elsewhere. */
export const onGlobalSignOut: Record<SampleName, string> = {
  aspnetcore:
    "removes the user's tokens (front-channel logout URL, found by sid, no cookie needed)",
  aspnet: 'leaves the cache untouched (no front-channel logout URL)',
  java: 'leaves the cache untouched (no front-channel logout URL)',
  python: 'leaves the cache untouched (no front-channel logout URL)',
};
