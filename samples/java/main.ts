import { runSamples } from '../../shared/web/run-sample.ts';
import { createJavaSample } from './app.ts';

await runSamples({ java: createJavaSample });
