// Strategy 3: one SharedArrayBuffer for all workers.
//
// What it demonstrates: a SharedArrayBuffer is shared, never copied: every worker that receives
// it (here through workerData) maps the same memory. The array exists once, whatever the number
// of workers or tasks.
//
// What you should see in the profile: one shared-memory block (kind `SharedArrayBuffer`) of the
// array's size, created at the `new Worker(...)` line and attached by every worker thread; bytes
// copied ≈ a few bytes per worker. Memory does not grow with the number of workers.
// demo-args: --mb 50 --workers 4 --tasks 2
// demo-quick-args: --mb 8 --workers 2 --tasks 2
import { Worker } from "node:worker_threads";
import { bytesFor, checksum, makeArray, options } from "./_workload.mjs";

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
${checksum.toString()}
const data = new Float64Array(workerData.sab);
let s = 0;
for (let t = 0; t < workerData.tasks; t++) s += checksum(data, t);
parentPort.postMessage(s);
`;

const args = options("Strategy 3: share one SharedArrayBuffer with every worker.", { tasks: 2 });
const sab = new SharedArrayBuffer(bytesFor(args.mb));
makeArray(args.mb, sab);
let pending = args.workers;
let total = 0;
for (let i = 0; i < args.workers; i++) {
  const w = new Worker(WORKER, { eval: true, workerData: { sab, tasks: args.tasks } }); // shared, not copied
  w.once("message", (s) => {
    total += s;
    if (--pending === 0) console.log(`checksum ${total}`);
  });
}
