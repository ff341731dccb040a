// Strategy 4: hand each worker the data as plain objects in workerData.
//
// What it demonstrates: workerData is structured-cloned into every new Worker, and an array of
// objects is the expensive kind of clone: every object, key and number is serialized, and each
// worker rebuilds all of them on its own heap (V8 heap, not external memory).
//
// What you should see in the profile: channel `message-port`, bytes ≈ workers × the serialized
// size of the array of objects (several times its Float64Array equivalent) at the
// `new Worker(...)` line; each worker thread's `heapUsed` grows by its private copy.
// Findings: `clone-of-objects`, `worker-heap-growth`.
// demo-args: --mb 8 --workers 4
// demo-quick-args: --mb 2 --workers 2
import { Worker } from "node:worker_threads";
import { options } from "./_workload.mjs";

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
let s = 0;
for (const row of workerData.rows) s += row.value;
parentPort.postMessage(s);
`;

const args = options("Strategy 4: clone an array of objects into every worker via workerData.", { mb: 8 });
const n = Math.floor((args.mb * 1024 * 1024) / 8);
const rows = Array.from({ length: n / 4 }, (_, i) => ({ id: i, value: i % 1000, tag: "row" }));
let pending = args.workers;
let total = 0;
for (let i = 0; i < args.workers; i++) {
  const w = new Worker(WORKER, { eval: true, workerData: { rows } }); // every object cloned, per worker
  w.once("message", (s) => {
    total += s;
    if (--pending === 0) console.log(`checksum ${total}`);
  });
}
