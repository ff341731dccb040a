// Strategy 5: child processes and IPC (child_process.fork).
//
// What it demonstrates: processes cannot share memory the way threads share a SharedArrayBuffer.
// IPC serializes every message (JSON by default, the v8 format with `serialization: "advanced"`),
// and a Float64Array does not even survive JSON: it has to become a plain array of numbers first,
// whose text size depends on the values (here small integers, ~4 bytes each; random doubles take
// ~19). Every child parses its own copy onto its own heap, in its own Node process.
//
// What you should see in the profile: one process per child (role worker, start method exec),
// channel `ipc`, bytes ≈ children × the JSON size of the message at the `child.send(...)` line,
// the same received by each child, and each child's heap holding the parsed array.
// Compare with 03: threads can share, processes cannot.
// demo-args: --mb 4 --workers 2
// demo-quick-args: --mb 1 --workers 2
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { checksum, makeArray, options } from "./_workload.mjs";

if (process.argv[2] === "--child") {
  process.once("message", ({ task, data }) => {
    // (Disconnecting inside the first 'message' handler trips Node 20: disconnect once sent.)
    process.send(checksum(Float64Array.from(data), task), () => process.disconnect());
  });
} else {
  const args = options("Strategy 5: send the array to child processes over IPC (JSON).", { mb: 4, workers: 2 });
  const plain = Array.from(makeArray(args.mb)); // JSON cannot carry a Float64Array
  let pending = args.workers;
  let total = 0;
  for (let t = 0; t < args.workers; t++) {
    const child = fork(fileURLToPath(import.meta.url), ["--child"]);
    child.send({ task: t, data: plain }); // serialized to JSON, parsed by the child
    child.once("message", (s) => {
      total += s;
      if (--pending === 0) console.log(`checksum ${total}`);
    });
  }
}
