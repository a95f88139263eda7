import { runSamples } from '../../shared/web/run-sample.ts';
import { createAspNetSample } from './app.ts';

await runSamples({ aspnet: createAspNetSample });
