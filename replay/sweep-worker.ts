/**
 * A sweep worker thread: runs the seeds it is given, one message per seed, until told to stop.
 * Protocol: in { job, seeds } once; out { result } per seed, then { done: true }; errors as { error }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSeed, type SweepJob } from './sweep.js';

const { job, seeds } = workerData as { job: SweepJob; seeds: number[] };
try {
  for (const seed of seeds) parentPort!.postMessage({ result: runSeed(job, seed) });
  parentPort!.postMessage({ done: true });
} catch (e) {
  parentPort!.postMessage({ error: (e as Error).message });
}
