/**
 * Shared memory is reported, not counted as copies: SharedMemory create / attach (in a child) /
 * close / unlink, and a sharedctypes RawArray's arena, each with its size and the user's line.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { forEachPython, lineOf, runHarness, workspace } from "./support/harness";

const SIZE = 1_000_000;
const RAW = 250_000; // doubles -> 2,000,000 bytes

const SCRIPT = `
import multiprocessing as mp, sys, json
from multiprocessing import shared_memory, sharedctypes

def child(name):
    s = shared_memory.SharedMemory(name=name)  # ATTACH
    assert s.size >= ${SIZE}
    if sys.version_info < (3, 13):
        # bpo-39959: attaching registers the segment with the resource tracker again
        from multiprocessing import resource_tracker
        resource_tracker.unregister(s._name, "shared_memory")
    s.close()  # CHILD-CLOSE

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    shm = shared_memory.SharedMemory(create=True, size=${SIZE})  # CREATE
    p = ctx.Process(target=child, args=(shm.name,))
    p.start()
    p.join()
    arr = sharedctypes.RawArray("d", ${RAW})  # RAW
    shm.close()  # CLOSE
    shm.unlink()  # UNLINK
    print(json.dumps({"name": shm.name, "child": p.pid, "code": p.exitcode}))
`;

forEachPython(test, (py) => {
  for (const method of ["fork", "spawn"]) {
    test(`${py.label} ${method}: SharedMemory lifecycle and RawArray size at the user's lines`, async () => {
      const dir = workspace({ "shm.py": SCRIPT });
      const r = await runHarness(py, ["shm.py", method], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const truth = JSON.parse(r.stdout.toString()) as { name: string; child: number; code: number };
      assert.equal(truth.code, 0);
      const log = r.log;
      const main = log.main().pid;
      const msg = log.dump();
      const at = (pid: number, op: string, marker: string) => {
        const evs = log.shm().filter((s) => s.pid === pid && s.op === op && s.kind === "shared_memory" && s.name === truth.name);
        assert.equal(evs.length, 1, `${op}: ${msg}`);
        const site = log.site(pid, evs[0]!.site);
        assert.equal(site?.line, lineOf(SCRIPT, marker), `${op} site ${JSON.stringify(site)}`);
        assert.ok(site?.file.endsWith("/shm.py"));
        return evs[0]!;
      };
      assert.equal(at(main, "create", "# CREATE").bytes, SIZE);
      assert.ok(at(truth.child, "attach", "# ATTACH").bytes >= SIZE);
      at(truth.child, "close", "# CHILD-CLOSE");
      at(main, "close", "# CLOSE");
      at(main, "unlink", "# UNLINK");

      const arenas = log.shm().filter((s) => s.pid === main && s.kind === "sharedctypes" && s.op === "create");
      assert.equal(arenas.length, 1, msg);
      assert.ok(arenas[0]!.bytes >= RAW * 8 && arenas[0]!.bytes < RAW * 8 + 65536, `arena ${arenas[0]!.bytes}`);
      assert.equal(log.site(main, arenas[0]!.site)?.line, lineOf(SCRIPT, "# RAW"));
      // no copies were counted for shared memory itself
      assert.equal(log.copies({ pid: main, line: lineOf(SCRIPT, "# RAW") }).length, 0);
    });
  }
});
