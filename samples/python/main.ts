import { runSamples } from '../../shared/web/run-sample.ts';
import { createPythonSample } from './app.ts';

await runSamples({ python: createPythonSample });
