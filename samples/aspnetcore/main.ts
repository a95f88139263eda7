import { runSamples } from '../../shared/web/run-sample.ts';
import { createAspNetCoreSample } from './app.ts';

await runSamples({ aspnetcore: createAspNetCoreSample });
