/**
 * manager-chatty: many Manager proxy round trips.
 *
 * Each method call on a Manager proxy (`shared[i]`, `d[key] = v`, `lst.append(x)`) pickles a
 * request, crosses to the manager process and pickles a reply back. Thousands of calls, or bulk
 * data read through the proxy again and again, cost far more than passing plain data.
 */
import type { Finding, Profile } from "../../protocol/profile";
import type { FindingRule } from "./types";
import { bytes, count, groupBySite, isPythonProfile, MiB, ms, processByPid, where } from "./util";

export const MANAGER_CHATTY = {
  /** Round trips at one site that are "many" whatever their size. */
  minRoundTrips: 1000,
  /** Fewer round trips still count when they move this much data through the manager. */
  minBulkRoundTrips: 32,
  minBulkBytes: 8 * MiB,
};

export const managerChatty: FindingRule = {
  id: "manager-chatty",
  description: "Many Manager proxy round trips (each one pickles a request and a reply).",
  check(profile: Profile): Finding[] {
    if (!isPythonProfile(profile)) return [];
    const out: Finding[] = [];
    // The manager process itself mirrors every call (a reply per request, no user frame): count
    // the callers' side, and the server's only when no caller was instrumented.
    const procs = processByPid(profile);
    const mine = profile.copies.filter((c) => c.channel === "manager");
    const callers = mine.filter((c) => procs.get(c.pid)?.role !== "manager");
    const copies = callers.length > 0 ? callers : mine;
    const all = groupBySite(copies, () => true);
    const sends = groupBySite(copies, (c) => c.direction === "send");
    for (const g of all) {
      const key = (s: typeof g) => (s.site ? `${s.site.file}|${s.site.line}` : `?${s.pids.join(",")}`);
      const req = sends.find((s) => key(s) === key(g));
      // one request per round trip; when only replies were seen, count those
      const trips = req ? req.count : g.count;
      const chatty = trips >= MANAGER_CHATTY.minRoundTrips;
      const bulk = trips >= MANAGER_CHATTY.minBulkRoundTrips && g.bytes >= MANAGER_CHATTY.minBulkBytes;
      if (!chatty && !bulk) continue;
      out.push({
        rule: managerChatty.id,
        severity: "warning",
        message:
          `${count(trips)} Manager proxy round trips ${where(g.site, profile.cwd)}` +
          (g.pids.length > 1 ? ` from ${g.pids.length} processes` : "") +
          `: ${bytes(g.bytes)} pickled through the manager process, ${ms(g.pickleNs)} spent pickling.`,
        site: g.site,
        fix:
          "Pass plain data to the workers instead of a proxy (arguments, a Pool initializer, or shared_memory for " +
          "large arrays), or batch: read or update many items per call (e.g. one slice or dict.update) instead of one per item.",
        data: { bytes: g.bytes, count: trips, pickleNs: g.pickleNs, processes: g.pids.length },
      });
    }
    return out;
  },
};
