/** Derived figures computed from the raw model: COW breakage, memory totals, shared memory attachments, findings. */
import type { Profile } from "../protocol/profile";
import { runFindings } from "./findings";
import { applyCow, computeMemoryTotals, mergeShmAttachments } from "./memory";

export interface FinalizeExtras {
  /** /dev/shm mappings the sampler saw, by block name. */
  shmAttachments?: ReadonlyMap<string, readonly number[]>;
}

export function finalizeProfile(profile: Profile, extras: FinalizeExtras = {}): Profile {
  const processes = applyCow(profile.processes);
  const sharedMemory = extras.shmAttachments ? mergeShmAttachments(profile.sharedMemory, extras.shmAttachments) : profile.sharedMemory;
  // The model's per-tick peaks are exact; the downsampled series can only under-estimate them.
  const memory = computeMemoryTotals(processes, sharedMemory, {
    livePeaks: { pss: profile.totals.peakPssSum, rss: profile.totals.peakRssSum },
  });
  const out: Profile = { ...profile, processes, sharedMemory, totals: { ...profile.totals, ...memory } };
  out.findings = runFindings(out);
  return out;
}
