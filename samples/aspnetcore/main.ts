import { runSample } from '../../shared/web/run-sample.ts';
import { createAspNetCoreSample } from './app.ts';

await runSample('aspnetcore', createAspNetCoreSample);
