import { runSample } from '../../shared/web/run-sample.ts';
import { createJavaSample } from './app.ts';

await runSample('java', createJavaSample);
