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
