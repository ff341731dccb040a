// The one workload every Node example shares: a large read-only Float64Array and workers that
// each compute over all of it. Only the way the array reaches the workers differs between examples.
import { parseArgs } from "node:util";

export function options(description, defaults = {}) {
  const { values } = parseArgs({
    options: {
      mb: { type: "string", default: String(defaults.mb ?? 50) },
      workers: { type: "string", default: String(defaults.workers ?? 4) },
      tasks: { type: "string", default: String(defaults.tasks ?? 1) },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(`${description}\n\n  --mb N       size of the read-only array in MB (default ${defaults.mb ?? 50})\n  --workers N  number of workers (default ${defaults.workers ?? 4})\n  --tasks N    tasks per worker (default ${defaults.tasks ?? 1})`);
    process.exit(0);
  }
  return { mb: Number(values.mb), workers: Number(values.workers), tasks: Number(values.tasks) };
}

/** A Float64Array of `mb` MB (backed by `buffer` when given, e.g. a SharedArrayBuffer). */
export function makeArray(mb, buffer) {
  const n = Math.floor((mb * 1024 * 1024) / 8);
  const a = buffer ? new Float64Array(buffer, 0, n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = i % 1000;
  return a;
}

export function bytesFor(mb) {
  return Math.floor((mb * 1024 * 1024) / 8) * 8;
}

/** What every worker computes: a checksum over the whole array, different per task. */
export function checksum(a, task) {
  let s = 0;
  for (let i = task % 7; i < a.length; i += 7) s += a[i];
  return s;
}
