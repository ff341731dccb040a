/**
 * Shared-memory blocks: which processes map them.
 *
 * The harness reports `shm` create/attach events from the Python side; the sampler independently
 * sees /dev/shm/<name> mappings in /proc/<pid>/maps (MemorySampler.trackShm / shmAttachments).
 * Both are merged here, so a process that mapped a block without the harness noticing (an
 * uninstrumented subprocess, a fork child inheriting the mapping) is still listed.
 */
import type { SharedMemoryBlock } from "../../protocol/profile";

/** `psm_1a2b` and `/psm_1a2b` name the same POSIX object. */
export function shmKey(name: string): string {
  return name.replace(/^\/+/, "");
}

/** Blocks with attachedPids extended by the pids seen mapping /dev/shm/<name>. Input is not modified. */
export function mergeShmAttachments(
  blocks: readonly SharedMemoryBlock[],
  attachments: ReadonlyMap<string, readonly number[]>,
): SharedMemoryBlock[] {
  const byName = new Map<string, readonly number[]>();
  for (const [name, pids] of attachments) byName.set(shmKey(name), pids);
  return blocks.map((b) => {
    if (b.kind !== "shared_memory") return { ...b, attachedPids: [...b.attachedPids] };
    const seen = byName.get(shmKey(b.name)) ?? [];
    const pids = new Set<number>(b.attachedPids);
    for (const pid of seen) pids.add(pid);
    return { ...b, attachedPids: [...pids].sort((x, y) => x - y) };
  });
}
