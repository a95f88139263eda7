import { runSample } from '../../shared/web/run-sample.ts';
import { createAspNetSample } from './app.ts';

await runSample('aspnet', createAspNetSample);
