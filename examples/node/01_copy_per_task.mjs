// Strategy 1: post the array to a worker with every task.
//
// What it demonstrates: postMessage clones. Every post copies the whole Float64Array (structured
// clone) into the worker, and the worker deserializes a private copy, so the bytes copied grow
// with the number of tasks and every worker holds its own copy.
//
// What you should see in the profile: channel `message-port`, bytes copied ≈ workers × tasks ×
// array size at the `w.postMessage(...)` line (send), the same received in each worker thread,
// and each worker thread's `external` memory holding its copy. Findings: `large-clone`.
// demo-args: --mb 50 --workers 4 --tasks 2
// demo-quick-args: --mb 8 --workers 2 --tasks 2
import { Worker } from "node:worker_threads";
import { checksum, makeArray, options } from "./_workload.mjs";

const WORKER = `
const { parentPort } = require("node:worker_threads");
${checksum.toString()}
parentPort.on("message", (m) => {
  if (m === null) return parentPort.close();
  parentPort.postMessage(checksum(m.data, m.task));
});
`;

const args = options("Strategy 1: post the array with every task (copied each time).", { tasks: 2 });
const data = makeArray(args.mb);
const workers = Array.from({ length: args.workers }, () => new Worker(WORKER, { eval: true }));
let pending = args.workers * args.tasks;
let total = 0;
for (const w of workers) {
  w.on("message", (s) => {
    total += s;
    if (--pending === 0) {
      for (const x of workers) x.postMessage(null);
      console.log(`checksum ${total}`);
    }
  });
  for (let t = 0; t < args.tasks; t++) w.postMessage({ task: t, data }); // the whole array is cloned for every task
}
