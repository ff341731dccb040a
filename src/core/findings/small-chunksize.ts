/**
 * small-chunksize: many tiny Pool tasks, one IPC message each.
 *
 * Pool.imap / imap_unordered default to chunksize=1 (and map / starmap with an explicit small
 * one): every item becomes its own pickled message plus a pickled result, so for cheap tasks the
 * per-message overhead (pickling, a pipe write, a wake-up) dominates the work itself.
 */
import type { Finding, Profile } from "../../protocol/profile";
import type { FindingRule } from "./types";
import { bytes, count, groupBySite, isPythonProfile, KiB, ms, processByPid, where } from "./util";

export const SMALL_CHUNKS = {
  minMessages: 1000,
  maxMeanBytes: 1 * KiB,
};

export const smallChunksize: FindingRule = {
  id: "small-chunksize",
  description: "A Pool is fed thousands of tiny tasks one message at a time.",
  check(profile: Profile): Finding[] {
    if (!isPythonProfile(profile)) return [];
    const procs = processByPid(profile);
    const out: Finding[] = [];
    // the task side: pool sends from the process that owns the pool, not the workers' results
    const groups = groupBySite(
      profile.copies,
      (c) => c.channel === "pool" && c.direction === "send" && procs.get(c.pid)?.role !== "worker",
    );
    for (const g of groups) {
      if (g.count < SMALL_CHUNKS.minMessages) continue;
      const mean = g.bytes / g.count;
      if (mean > SMALL_CHUNKS.maxMeanBytes) continue;
      const workers = profile.processes.filter((p) => p.role === "worker" && g.pids.includes(p.ppid)).length ||
        profile.processes.filter((p) => p.role === "worker").length || 4;
      const suggested = Math.max(2, Math.ceil(g.count / (4 * workers)));
      out.push({
        rule: smallChunksize.id,
        severity: "warning",
        message:
          `${count(g.count)} Pool tasks sent one message each ${where(g.site, profile.cwd)} (${bytes(mean)} on average, ` +
          `${ms(g.pickleNs)} pickling alone): per-message overhead dominates tiny tasks.`,
        site: g.site,
        fix: `Pass a larger chunksize (e.g. chunksize=${suggested} for ${workers} workers) to map/imap/imap_unordered, so each message carries many tasks.`,
        data: { bytes: g.bytes, count: g.count, meanBytes: Math.round(mean), pickleNs: g.pickleNs, workers, suggestedChunksize: suggested },
      });
    }
    return out;
  },
};
