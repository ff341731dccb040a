/**
 * pickled-process-args: a large Process / Pool-initializer argument pickled once per worker.
 *
 * Under spawn and forkserver every new interpreter receives its Process object, args included,
 * pickled through a pipe (channel `process-args`). Under fork nothing is pickled: the child
 * inherits the parent's memory. So N workers × a big argument = N copies in flight and N private
 * copies in the workers.
 */
import type { Finding, Profile } from "../../protocol/profile";
import type { FindingRule } from "./types";
import { bytes, count, groupBySite, GiB, isPythonProfile, MiB, processByPid, severityBySize, where } from "./util";

export const PICKLED_ARGS = {
  /** Mean pickled size per worker start. */
  minMeanBytes: 1 * MiB,
  /** Total across workers at one site. */
  minTotalBytes: 4 * MiB,
  errorAtBytes: 1 * GiB,
};

export const pickledProcessArgs: FindingRule = {
  id: "pickled-process-args",
  description: "A large argument is pickled into every worker started with spawn or forkserver.",
  check(profile: Profile): Finding[] {
    if (!isPythonProfile(profile)) return [];
    const procs = processByPid(profile);
    // the parent's side (send) when the harness saw it, else the children's unpickling (recv)
    const sends = groupBySite(profile.copies, (c) => c.channel === "process-args" && c.direction === "send");
    const groups = sends.length > 0 ? sends : groupBySite(profile.copies, (c) => c.channel === "process-args" && c.direction === "recv");
    const out: Finding[] = [];
    for (const g of groups) {
      if (g.count === 0) continue;
      const mean = g.bytes / g.count;
      if (mean < PICKLED_ARGS.minMeanBytes || g.bytes < PICKLED_ARGS.minTotalBytes) continue;
      const methods = new Set<string>();
      // the workers' start method (not the resource tracker's or a manager's)
      for (const p of profile.processes) {
        if (p.role !== "worker" || !p.startMethod || p.startMethod === "fork") continue;
        if (g.pids.includes(p.ppid) || g.pids.includes(p.pid)) methods.add(p.startMethod);
      }
      for (const pid of g.pids) {
        const p = procs.get(pid);
        if (p?.role === "worker" && p.startMethod && p.startMethod !== "fork") methods.add(p.startMethod);
      }
      const how = methods.size > 0 ? [...methods].sort().join("/") : "spawn/forkserver";
      out.push({
        rule: pickledProcessArgs.id,
        severity: severityBySize(g.bytes, PICKLED_ARGS.errorAtBytes),
        message:
          `Process arguments pickled ${count(g.count)} times ${where(g.site, profile.cwd)} (${how}): ` +
          `${bytes(mean)} per worker, ${bytes(g.bytes)} copied in total, and each worker keeps its own copy.`,
        site: g.site,
        fix:
          "Create the data before the pool/processes and let the workers inherit it under the fork start " +
          "method (a module-level global, no argument), or put it in multiprocessing.shared_memory and pass only its name.",
        data: { bytes: g.bytes, count: g.count, meanBytes: Math.round(mean), startMethod: how },
      });
    }
    return out;
  },
};
