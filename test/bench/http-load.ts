/**
 * The load of the HTTP benchmark, in a process of its own (as autocannon would be), so that
 * sending requests does not take the samples' event loop: `concurrency` loops, each sending the
 * next request when one answers, for `seconds`. Prints the requests answered per second.
 *
 *   node --import tsx test/bench/http-load.ts <url> <seconds> <concurrency>   (cookie in COOKIE)
 */
const [url = '', seconds = '1', concurrency = '1'] = process.argv.slice(2);
const cookie = process.env.COOKIE ?? '';
const until = performance.now() + Number(seconds) * 1000;
let answered = 0;
const loop = async () => {
  while (performance.now() < until) {
    const response = await fetch(url, { headers: { cookie }, redirect: 'manual' });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
    answered += 1;
  }
};
const started = performance.now();
await Promise.all(Array.from({ length: Number(concurrency) }, loop));
process.stdout.write(`${answered / ((performance.now() - started) / 1000)}\n`);
