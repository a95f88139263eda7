import { runSample } from '../../shared/web/run-sample.ts';
import { createPythonSample } from './app.ts';

await runSample('python', createPythonSample);
