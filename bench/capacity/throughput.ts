/** Request throughput with autocannon (in this process; the servers are separate processes). */
import { createRequire } from 'node:module';

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

type Autocannon = (
  options: { url: string; connections: number; duration: number; pipelining?: number },
  callback: (err: Error | null, result: AutocannonResult) => void,
) => unknown;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface Throughput {
  /** Requests per second, averaged over the run. */
  rps: number;
  /** Requests answered in the run. */
  total: number;
  p50Ms: number;
  p99Ms: number;
  /** Transport errors, timeouts and non-2xx answers. */
  failures: number;
}

export function measureThroughput(
  url: string,
  durationS: number,
  connections: number,
): Promise<Throughput> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections, duration: durationS }, (err, result) => {
      if (err) return reject(err);
      resolve({
        rps: result.requests.average,
        total: result.requests.total,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        failures: result.errors + result.timeouts + result.non2xx,
      });
    });
  });
}
