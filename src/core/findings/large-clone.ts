/**
 * large-clone (Node): a big buffer or string structured-cloned again and again through
 * postMessage / workerData, or a big message sent again and again over child_process IPC.
 *
 * postMessage copies its value (structured clone) unless an ArrayBuffer is in the transfer list
 * (moved: channel `transfer`, never counted here) or the data lives in a SharedArrayBuffer (shared:
 * a few bytes per message). So a large copied message is a move or a share that was not made.
 *
 * Only binary (ArrayBuffer, TypedArray, Buffer) and string messages are this rule's on a
 * message-port: object graphs are clone-of-objects' (different cost, different fix). IPC has no
 * transfer list and no shared memory, whatever the message is, so every large repeated IPC message
 * is reported here, with IPC's own advice, and never by clone-of-objects.
 */
import type { Finding, Profile } from "../../protocol/profile";
import type { FindingRule } from "./types";
import {
  bytes, count, GiB, groupBySite, hasKind, isNodeProfile, KIND, MiB, severityBySize, siteKey, where, type SiteGroup,
} from "./util";

export const LARGE_CLONE = {
  /** Messages at one site (a one-off copy is not the pattern: a start-up cost paid once). */
  minMessages: 3,
  /** Mean copied bytes per message: below a MiB, a binary clone costs under a millisecond (~1.7 GB/s). */
  minMeanBytes: 1 * MiB,
  errorAtBytes: 1 * GiB,
};

type Flavour = "binary" | "string" | "ipc";

const FIX: Record<Flavour, string> = {
  binary:
    "If the sender no longer needs the data, move it instead of copying it: put its ArrayBuffer in the transfer list " +
    "(`postMessage(buf, [buf.buffer])`; `transferList` for workerData). If several threads read the same data, allocate it " +
    "once in a SharedArrayBuffer and post that (or a view of it): it is shared, never copied.",
  string:
    "A string is copied on every post and cannot be moved or shared: encode it once into a SharedArrayBuffer " +
    "(TextEncoder.encodeInto) that the threads share, transfer an encoded ArrayBuffer, or send it once and keep it in the worker.",
  ipc:
    "IPC has no transfer list and no shared memory: every send() serializes the whole message and every receiver parses its " +
    "own copy. Send the data once per child and keep it there (or let the child read it from a file), then send only indices " +
    "or what changed; for data several workers read, worker_threads with a SharedArrayBuffer share it without copies.",
};

export const largeClone: FindingRule = {
  id: "large-clone",
  description: "The same line copies a large buffer or string through postMessage (or a large message over IPC) again and again.",
  check(profile: Profile): Finding[] {
    if (!isNodeProfile(profile)) return [];
    // Bytes moved with a transfer list, per line: the user already moves part of what that line posts.
    const moved = new Map<string, number>();
    for (const c of profile.copies) {
      const k = siteKey(c.site);
      if (c.channel === "transfer" && c.direction === "send" && k) moved.set(k, (moved.get(k) ?? 0) + c.bytes);
    }
    const out: Finding[] = [];
    const groups = groupBySite(profile.copies, (c) => (c.channel === "message-port" || c.channel === "ipc") && c.direction === "send");
    for (const g of groups) {
      const flavour = flavourOf(g);
      if (flavour === null || g.count < LARGE_CLONE.minMessages) continue;
      const mean = g.bytes / g.count;
      if (mean < LARGE_CLONE.minMeanBytes) continue;
      const alsoMoved = moved.get(siteKey(g.site) ?? "") ?? 0;
      out.push({
        rule: largeClone.id,
        severity: severityBySize(g.bytes, LARGE_CLONE.errorAtBytes),
        message: messageOf(g, flavour, mean, alsoMoved, profile.cwd),
        site: g.site,
        fix: FIX[flavour],
        data: {
          bytes: g.bytes,
          count: g.count,
          meanBytes: Math.round(mean),
          channel: g.channel,
          kinds: g.kinds,
          senders: g.senders,
          movedBytes: alsoMoved,
        },
      });
    }
    return out;
  },
};

/** Which advice fits the site, or null when the site is not this rule's (object graphs on a port). */
function flavourOf(g: SiteGroup): Flavour | null {
  if (g.channel === "ipc") return "ipc";
  if (g.kinds === 0 || hasKind(g.kinds, KIND.binary)) return "binary"; // (no kinds: a harness that did not say)
  if (hasKind(g.kinds, KIND.objects)) return null;
  return hasKind(g.kinds, KIND.primitive) ? "string" : null;
}

function messageOf(g: SiteGroup, flavour: Flavour, mean: number, alsoMoved: number, cwd: string): string {
  const at = where(g.site, cwd);
  if (flavour === "ipc") {
    const from = g.senders > 1 ? ` from ${count(g.senders)} processes` : "";
    return (
      `${count(g.count)} IPC messages of ${bytes(mean)} on average sent ${at}${from}: ` +
      `${bytes(g.bytes)} serialized, and parsed again into a private copy by each receiving process.`
    );
  }
  const from = g.senders > 1 ? ` from ${count(g.senders)} threads` : "";
  const what = flavour === "string" ? "strings" : g.kinds === 0 ? "data" : "ArrayBuffer or typed-array data";
  const part = alsoMoved > 0 ? ` The same line moves ${bytes(alsoMoved)} with a transfer list; the rest is still copied.` : "";
  return (
    `${count(g.count)} messages of ${bytes(mean)} on average structured-cloned (postMessage or workerData) ${at}${from}: ` +
    `${bytes(g.bytes)} of ${what} copied, and every receiver gets its own copy.${part}`
  );
}
