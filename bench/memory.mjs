// Worker memory and process count, read from /proc: resident set (VmRSS), its peak (VmHWM), and
// every descendant process of the worker (the default `api` transport should have none).
import { descendants, peakRssMb, round, rssMb, sleep } from './lib.mjs';

/** One reading, after a short settle so an in-flight request does not skew it. */
export async function memorySnapshot(pid, label) {
  if (global.gc) global.gc(); // the bench's own heap, not the worker's: keeps this process quiet
  await sleep(1000);
  const kids = descendants(pid);
  return {
    label,
    rssMb: round(rssMb(pid), 1),
    peakRssMb: round(peakRssMb(pid), 1),
    subprocesses: kids.length,
    subprocessNames: kids.map((k) => k.comm),
  };
}

/** Samples descendants every `everyMs` until stop() is called; returns the largest count seen. */
export function watchSubprocesses(pid, everyMs = 100) {
  let max = 0;
  const names = new Set();
  const timer = setInterval(() => {
    const kids = descendants(pid);
    max = Math.max(max, kids.length);
    for (const k of kids) names.add(k.comm);
  }, everyMs);
  return () => {
    clearInterval(timer);
    return { maxSubprocesses: max, names: [...names] };
  };
}
