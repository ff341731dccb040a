/**
 * The findings engine: every rule runs over a finished Profile and returns Finding[]; runFindings
 * collects them, most severe and biggest first. Rules are pure and independent: one per file.
 */
import type { Finding, Profile } from "../../protocol/profile";
import { cowRefcountBreakage } from "./cow-refcount-breakage";
import { largeQueuePayloads } from "./large-queue-payloads";
import { managerChatty } from "./manager-chatty";
import { pickledProcessArgs } from "./pickled-process-args";
import { sharedMemoryLeak } from "./shared-memory-leak";
import { smallChunksize } from "./small-chunksize";
import type { FindingRule } from "./types";
import { sortFindings } from "./util";

export type { FindingRule } from "./types";
export { sortFindings } from "./util";
export { COW_BREAKAGE, cowRefcountBreakage } from "./cow-refcount-breakage";
export { LARGE_PAYLOADS, largeQueuePayloads } from "./large-queue-payloads";
export { MANAGER_CHATTY, managerChatty } from "./manager-chatty";
export { PICKLED_ARGS, pickledProcessArgs } from "./pickled-process-args";
export { sharedMemoryLeak } from "./shared-memory-leak";
export { SMALL_CHUNKS, smallChunksize } from "./small-chunksize";

export const RULES: readonly FindingRule[] = [
  pickledProcessArgs,
  largeQueuePayloads,
  cowRefcountBreakage,
  smallChunksize,
  managerChatty,
  sharedMemoryLeak,
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
