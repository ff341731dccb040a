/**
 * cow-refcount-breakage: fork children end up copying most of what they inherited.
 *
 * fork() shares the parent's pages copy-on-write, but CPython writes to objects it only reads:
 * every reference taken bumps the object's refcount, and a full garbage collection writes gc
 * bookkeeping into every tracked container it walks. Either write copies the whole 4 KiB page.
 *
 * gc.freeze() (Python ≥ 3.7) moves everything tracked so far into a permanent generation that
 * collections skip: it prevents the *GC* writes, never the refcount writes. So the advice depends
 * on whether the copying coincided with full collections in the child (heap samples' gc
 * `collections` counters) or happened without any.
 */
import type { Finding, Profile, Site } from "../../protocol/profile";
import { cowAnalyses, type CowAnalysis, type CowCause } from "../memory/cow";
import type { FindingRule } from "./types";
import { bytes, count, GiB, isPythonProfile, MiB, severityBySize } from "./util";

export const COW_BREAKAGE = {
  /** A child counts when it copied at least this fraction of what it inherited… */
  minFraction: 0.5,
  /** …and at least this much (a Python child touching its inherited interpreter state copies a few MB anyway); */
  minBytes: 32 * MiB,
  /** or at least this much whatever the fraction (a huge parent, a big slice of it copied). */
  minBytesAnyFraction: 64 * MiB,
  errorAtBytes: 1 * GiB,
};

const FIX: Record<CowCause, string> = {
  refcount:
    "Keep the large read-only data in a form whose reads write nothing: array.array, a numpy array, bytes, or " +
    "multiprocessing.shared_memory. gc.freeze() will not help here: it stops garbage-collector traversal, not refcount writes.",
  gc:
    "Call gc.freeze() in the parent just before starting the workers, so the children's full collections skip the " +
    "inherited objects (the Python docs add gc.disable() early in the parent, so no freed holes are left in its pages, " +
    "and gc.enable() early in the children). It does not stop refcount writes on objects the children read; if copying " +
    "remains, store the data in array.array, numpy or shared_memory.",
  unknown:
    "If the children read the inherited objects, the copies are refcount writes: store the data in array.array, numpy or " +
    "shared_memory (gc.freeze() cannot prevent those). If they only hold containers they never touch, gc.freeze() in the " +
    "parent before forking stops full collections from copying them.",
};

export const cowRefcountBreakage: FindingRule = {
  id: "cow-refcount-breakage",
  description: "Fork children copy most of the memory they inherited (refcount or GC writes on shared pages).",
  check(profile: Profile): Finding[] {
    if (!isPythonProfile(profile)) return [];
    // What a child unpickled is its own allocation, and it can pass for copied parent pages when the
    // parent churns its own memory (a queue producer). Only private memory beyond it counts as COW.
    const received = new Map<number, number>();
    for (const c of profile.copies) {
      if (c.direction === "recv") received.set(c.pid, (received.get(c.pid) ?? 0) + c.bytes);
    }
    const byParent = new Map<number, CowAnalysis[]>();
    for (const a of cowAnalyses(profile.processes)) {
      const inh = Math.max(0, (a.inheritedBytes ?? 0) - (received.get(a.pid) ?? 0));
      const frac = a.inheritedFraction ?? 0;
      const hit = (frac >= COW_BREAKAGE.minFraction && inh >= COW_BREAKAGE.minBytes) || inh >= COW_BREAKAGE.minBytesAnyFraction;
      if (!hit) continue;
      const list = byParent.get(a.parentPid);
      if (list) list.push(a);
      else byParent.set(a.parentPid, [a]);
    }
    const out: Finding[] = [];
    for (const [parentPid, hits] of byParent) {
      const copied = hits.reduce((s, a) => s + (a.inheritedBytes ?? 0), 0);
      const worst = Math.max(...hits.map((a) => a.inheritedBytes ?? 0));
      const inherited = Math.max(...hits.map((a) => a.inheritedSize ?? 0));
      const children = profile.processes.filter((p) => p.ppid === parentPid && (p.startMethod === "fork" || p.startMethod === "forkserver")).length;
      const cause = overallCause(hits);
      const fullGcs = hits.reduce((s, a) => s + (a.gc.fullCollections ?? 0), 0);
      const gcNote =
        cause === "refcount"
          ? hits.every((a) => a.gc.fullCollections === 0)
            ? " No full garbage collection was seen in these children, so these are refcount writes."
            : " The copying did not coincide with the children's full garbage collections: refcount writes."
          : cause === "gc"
            ? ` It coincided with ${count(fullGcs)} full garbage collection${fullGcs === 1 ? "" : "s"} in the children: GC traversal writes.`
            : "";
      const method = hits[0]?.startMethod ?? "fork";
      out.push({
        rule: cowRefcountBreakage.id,
        severity: severityBySize(copied, COW_BREAKAGE.errorAtBytes),
        message:
          `${count(hits.length)} of ${count(Math.max(children, hits.length))} ${method} children of pid ${parentPid} copied most of the ` +
          `${bytes(inherited)} they inherited: up to ${bytes(worst)} each, ${bytes(copied)} duplicated in all, though nothing was sent.` +
          gcNote,
        site: siteFor(profile, parentPid),
        fix: FIX[cause],
        data: {
          bytes: copied,
          count: hits.length,
          children,
          parentPid,
          maxChildBytes: worst,
          inheritedBytes: inherited,
          fraction: Math.round((worst / Math.max(1, inherited)) * 100) / 100,
          cause,
          fullCollections: fullGcs,
        },
      });
    }
    return out;
  },
};

/** Majority by copied bytes; "unknown" only when no child has gc data. */
function overallCause(hits: readonly CowAnalysis[]): CowCause {
  let gc = 0;
  let refcount = 0;
  for (const a of hits) {
    if (a.gc.cause === "gc") gc += a.inheritedBytes ?? 0;
    else if (a.gc.cause === "refcount") refcount += a.inheritedBytes ?? 0;
  }
  if (gc === 0 && refcount === 0) return "unknown";
  return gc > refcount ? "gc" : "refcount";
}

/** Where the children were started: the parent's biggest process-start or pool site, if any. */
function siteFor(profile: Profile, parentPid: number): Site | null {
  let best: { bytes: number; site: Site } | null = null;
  for (const c of profile.copies) {
    if (c.pid !== parentPid || !c.site) continue;
    if (c.channel !== "process-args" && c.channel !== "pool") continue;
    if (!best || c.bytes > best.bytes) best = { bytes: c.bytes, site: c.site };
  }
  return best?.site ?? null;
}
