/**
 * large-queue-payloads: large objects sent again and again through a queue, pipe, pool or executor.
 *
 * Every put()/send()/task pickles its payload in full. A big read-only object sent with every
 * task is copied (and unpickled into a private copy) once per message.
 *
 * Python only: the advice (fork inheritance, Pool initializer, shared_memory) is Python's. Node's
 * postMessage / IPC copies are large-clone's and clone-of-objects'.
 */
import type { Channel } from "../../protocol/events";
import type { Finding, Profile } from "../../protocol/profile";
import type { FindingRule } from "./types";
import { bytes, count, groupBySite, GiB, isPythonProfile, MiB, severityBySize, where } from "./util";

export const LARGE_PAYLOADS = {
  minMeanBytes: 1 * MiB,
  minMessages: 3,
  errorAtBytes: 1 * GiB,
};

/** The message channels of multiprocessing (process-args belong to pickled-process-args, manager to manager-chatty). */
const CHANNELS: ReadonlySet<Channel> = new Set<Channel>(["queue", "pipe", "pool", "executor"]);

export const largeQueuePayloads: FindingRule = {
  id: "large-queue-payloads",
  description: "The same call site sends many large messages through a queue, pipe, pool or executor.",
  check(profile: Profile): Finding[] {
    if (!isPythonProfile(profile)) return [];
    const out: Finding[] = [];
    for (const g of groupBySite(profile.copies, (c) => CHANNELS.has(c.channel) && c.direction === "send")) {
      if (g.count < LARGE_PAYLOADS.minMessages) continue;
      const mean = g.bytes / g.count;
      if (mean < LARGE_PAYLOADS.minMeanBytes) continue;
      const procs = g.pids.length > 1 ? ` from ${g.pids.length} processes` : "";
      out.push({
        rule: largeQueuePayloads.id,
        severity: severityBySize(g.bytes, LARGE_PAYLOADS.errorAtBytes),
        message:
          `${count(g.count)} messages of ${bytes(mean)} on average sent through a ${g.channel} ${where(g.site, profile.cwd)}${procs}: ` +
          `${bytes(g.bytes)} pickled, and unpickled again on the receiving side.`,
        site: g.site,
        fix:
          "Send the large object once, not per message: inherit it under fork or hand it to each worker once " +
          "(Pool initializer), or keep it in multiprocessing.shared_memory and send only its name and an index.",
        data: { bytes: g.bytes, count: g.count, meanBytes: Math.round(mean), channel: g.channel, processes: g.pids.length },
      });
    }
    return out;
  },
};
