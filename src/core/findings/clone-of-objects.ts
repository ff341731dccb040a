/**
 * clone-of-objects (Node): big graphs of objects structured-cloned per message (postMessage or
 * workerData).
 *
 * Cloning objects is the expensive kind of copy: the sender walks and serializes every object,
 * key and number, and every receiver rebuilds all of them on its own V8 heap (a full private copy,
 * garbage to collect later). A flat typed array of the same data clones as one memcpy, and can be
 * moved or shared instead.
 *
 * The harness records what each message's top-level value was (CopyRecord.kinds): a message that
 * is an object wrapping a large typed array (`{ id, data }`) is an "objects" message too, and the
 * profile cannot tell it from a graph of objects, so the wording and the fix cover both. Rows that
 * carry binary values are large-clone's; IPC is large-clone's.
 */
import type { Finding, Profile } from "../../protocol/profile";
import type { FindingRule } from "./types";
import { bytes, count, GiB, groupBySite, hasKind, isNodeProfile, KIND, KiB, MiB, severityBySize, where } from "./util";

export const CLONE_OF_OBJECTS = {
  /** Mean serialized size per message at one site… */
  minMeanBytes: 256 * KiB,
  /** …over at least this many messages (one small clone is a start-up cost, not a pattern); */
  minMessages: 2,
  /** or this much in total, whatever the count… */
  minTotalBytes: 16 * MiB,
  /** …of messages big enough that flattening them pays (below this, per-message overhead dominates). */
  minMeanBytesForTotal: 4 * KiB,
  errorAtBytes: 1 * GiB,
};

export const cloneOfObjects: FindingRule = {
  id: "clone-of-objects",
  description: "Large graphs of objects are structured-cloned per message or per worker (CPU on both sides, a heap copy in each receiver).",
  check(profile: Profile): Finding[] {
    if (!isNodeProfile(profile)) return [];
    const out: Finding[] = [];
    for (const g of groupBySite(profile.copies, (c) => c.channel === "message-port" && c.direction === "send")) {
      // A line whose messages are (also) buffers or typed arrays is large-clone's.
      if (g.count === 0 || !hasKind(g.kinds, KIND.objects) || hasKind(g.kinds, KIND.binary)) continue;
      const mean = g.bytes / g.count;
      const big = g.count >= CLONE_OF_OBJECTS.minMessages && mean >= CLONE_OF_OBJECTS.minMeanBytes;
      const much = g.bytes >= CLONE_OF_OBJECTS.minTotalBytes && mean >= CLONE_OF_OBJECTS.minMeanBytesForTotal;
      if (!big && !much) continue;
      const from = g.senders > 1 ? ` from ${count(g.senders)} threads` : "";
      const estimated = hasKind(g.kinds, KIND.estimated) ? " (sizes partly estimated from sampled messages)" : "";
      out.push({
        rule: cloneOfObjects.id,
        severity: severityBySize(g.bytes, CLONE_OF_OBJECTS.errorAtBytes),
        message:
          `${count(g.count)} messages of ${bytes(mean)} on average, each an object or array, structured-cloned ` +
          `(postMessage or workerData) ${where(g.site, profile.cwd)}${from}: ${bytes(g.bytes)} serialized${estimated}, ` +
          `and deserialized again into a private copy by every receiver.`,
        site: g.site,
        fix:
          "If these are graphs of objects, send flat binary instead: lay the records out as typed arrays (e.g. one Float64Array " +
          "or Int32Array per field) and transfer them, or keep the data in a SharedArrayBuffer and post only indices or ranges; " +
          "structured clone of objects costs CPU on both sides and a full copy on every receiver's heap. If a message only wraps " +
          "a large typed array (`{ id, data }`), move that buffer with the transfer list (`postMessage(msg, [msg.data.buffer])`) " +
          "or share it through a SharedArrayBuffer.",
        data: {
          bytes: g.bytes,
          count: g.count,
          meanBytes: Math.round(mean),
          channel: g.channel,
          kinds: g.kinds,
          senders: g.senders,
          estimated: hasKind(g.kinds, KIND.estimated) ? 1 : 0,
        },
      });
    }
    return out;
  },
};
