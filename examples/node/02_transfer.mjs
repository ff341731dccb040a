// Strategy 2: transfer the array instead of copying it.
//
// What it demonstrates: an ArrayBuffer in the transfer list is moved, not copied: postMessage
// detaches it in the sender and the worker gets the same memory. The sender cannot use it any
// more, so each worker here gets its own array, built once and moved (the worker sends it back
// when it is done, moved again).
//
// What you should see in the profile: channel `transfer`, bytes ≈ workers × array size at the
// `w.postMessage(..., [data.buffer])` line, and almost nothing on `message-port` (a few bytes of
// envelope per message). Compare with 01: same work, no copies.
// demo-args: --mb 50 --workers 4
// demo-quick-args: --mb 8 --workers 2
import { Worker } from "node:worker_threads";
import { checksum, makeArray, options } from "./_workload.mjs";

const WORKER = `
const { parentPort } = require("node:worker_threads");
${checksum.toString()}
parentPort.once("message", ({ task, data }) => {
  const s = checksum(data, task);
  parentPort.postMessage({ s, data }, [data.buffer]); // moved back
  parentPort.close();
});
`;

const args = options("Strategy 2: transfer (move) the array to each worker.");
let pending = args.workers;
let total = 0;
for (let t = 0; t < args.workers; t++) {
  const w = new Worker(WORKER, { eval: true });
  const data = makeArray(args.mb);
  w.postMessage({ task: t, data }, [data.buffer]); // moved: `data` is detached here afterwards
  w.once("message", ({ s }) => {
    total += s;
    if (--pending === 0) console.log(`checksum ${total}`);
  });
}
