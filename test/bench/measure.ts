/** Microseconds per call: the median of several runs, and their range. */
export interface Measured {
  median: number;
  min: number;
  max: number;
}

/**
 * Times `call`: a warm-up, then `runs` runs of `calls` calls one after the other, each run giving
 * its mean per call. Reported: the median run and the fastest and slowest.
 */
export async function measure(
  { runs, calls }: { runs: number; calls: number },
  call: () => Promise<void>,
): Promise<Measured> {
  for (let index = 0; index < Math.min(calls, 100); index += 1) await call();
  const perRun: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    for (let index = 0; index < calls; index += 1) await call();
    perRun.push(((performance.now() - started) * 1000) / calls);
  }
  return summarize(perRun);
}

export function summarize(values: number[]): Measured {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted.at(-1) as number };
}
