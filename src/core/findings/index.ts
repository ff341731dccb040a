/**
 * The findings engine: every rule runs over a finished Profile and returns Finding[]; runFindings
 * collects them, most severe and biggest first. Rules are pure and independent: one per file.
 * Each rule belongs to one runtime (profile.runtime) and returns nothing on the other's profiles:
 * the Python rules' advice is multiprocessing's, the Node rules' is worker_threads'.
 */
import type { Finding, Profile } from "../../protocol/profile";
import { cloneOfObjects } from "./clone-of-objects";
import { cowRefcountBreakage } from "./cow-refcount-breakage";
import { largeClone } from "./large-clone";
import { largeQueuePayloads } from "./large-queue-payloads";
import { managerChatty } from "./manager-chatty";
import { pickledProcessArgs } from "./pickled-process-args";
import { sharedMemoryLeak } from "./shared-memory-leak";
import { smallChunksize } from "./small-chunksize";
import type { FindingRule } from "./types";
import { sortFindings } from "./util";
import { workerHeapGrowth } from "./worker-heap-growth";

export type { FindingRule } from "./types";
export { sortFindings } from "./util";
export { CLONE_OF_OBJECTS, cloneOfObjects } from "./clone-of-objects";
export { COW_BREAKAGE, cowRefcountBreakage } from "./cow-refcount-breakage";
export { LARGE_CLONE, largeClone } from "./large-clone";
export { LARGE_PAYLOADS, largeQueuePayloads } from "./large-queue-payloads";
export { MANAGER_CHATTY, managerChatty } from "./manager-chatty";
export { PICKLED_ARGS, pickledProcessArgs } from "./pickled-process-args";
export { sharedMemoryLeak } from "./shared-memory-leak";
export { SMALL_CHUNKS, smallChunksize } from "./small-chunksize";
export { heapGrowth, WORKER_HEAP_GROWTH, workerHeapGrowth, type HeapGrowth } from "./worker-heap-growth";

export const RULES: readonly FindingRule[] = [
  // Python (multiprocessing)
  pickledProcessArgs,
  largeQueuePayloads,
  cowRefcountBreakage,
  smallChunksize,
  managerChatty,
  sharedMemoryLeak,
  // Node (worker_threads, child_process)
  largeClone,
  cloneOfObjects,
  workerHeapGrowth,
];

/**
 * Run every rule (or the given ones) over a profile. A rule that throws is skipped and reported
 * as an "info" finding rather than losing the others.
 */
export function runFindings(profile: Profile, rules: readonly FindingRule[] = RULES): Finding[] {
  const out: Finding[] = [];
  for (const rule of rules) {
    try {
      out.push(...rule.check(profile));
    } catch (err) {
      out.push({
        rule: rule.id,
        severity: "info",
        message: `Rule ${rule.id} failed on this profile: ${err instanceof Error ? err.message : String(err)}`,
        site: null,
      });
    }
  }
  return sortFindings(out);
}
