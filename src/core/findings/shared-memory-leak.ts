/**
 * shared-memory-leak: a multiprocessing.shared_memory block created but never unlinked.
 *
 * close() only unmaps a block from one process; the memory stays allocated in /dev/shm until
 * someone calls unlink(). Python's resource tracker removes leftovers at shutdown with a
 * "leaked shared_memory objects" warning, but only when it runs, and a killed run leaks for good.
 */
import type { Finding, Profile, SharedMemoryBlock } from "../../protocol/profile";
import type { FindingRule } from "./types";
import { bytes, count, isPythonProfile, where } from "./util";

export const sharedMemoryLeak: FindingRule = {
  id: "shared-memory-leak",
  description: "A SharedMemory block was created but never unlinked.",
  check(profile: Profile): Finding[] {
    if (!isPythonProfile(profile)) return [];
    // one finding per creation site (a leak in a loop is one bug, not N)
    const bySite = new Map<string, SharedMemoryBlock[]>();
    for (const b of profile.sharedMemory) {
      if (b.kind !== "shared_memory" || b.unlinked) continue;
      const key = b.site ? `${b.site.file}|${b.site.line}` : `?|${b.pid}|${b.name}`;
      const list = bySite.get(key);
      if (list) list.push(b);
      else bySite.set(key, [b]);
    }
    const out: Finding[] = [];
    for (const blocks of bySite.values()) {
      const first = blocks[0] as SharedMemoryBlock;
      const total = blocks.reduce((a, b) => a + b.bytes, 0);
      const what =
        blocks.length === 1
          ? `SharedMemory "${first.name}" (${bytes(first.bytes)})`
          : `${count(blocks.length)} SharedMemory blocks (${bytes(total)} in all, e.g. "${first.name}")`;
      out.push({
        rule: sharedMemoryLeak.id,
        severity: "warning",
        message: `${what} created by pid ${first.pid} ${where(first.site, profile.cwd)} ${blocks.length === 1 ? "was" : "were"} never unlinked: it stays in /dev/shm after the run.`,
        site: first.site,
        fix:
          "Call unlink() once, in the process that created the block, after every process has called close() " +
          "(e.g. in a finally block), or let multiprocessing.managers.SharedMemoryManager own the blocks.",
        data: { bytes: total, count: blocks.length, name: first.name, pid: first.pid },
      });
    }
    return out;
  },
};
