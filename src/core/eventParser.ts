/**
 * Turns one NDJSON line into a typed harness event, or null when the line is malformed or of a
 * kind this version does not know (newer harnesses may add kinds; older cores skip them).
 * Validation checks what the model relies on, cheaply: the hot path of decoding is JSON.parse.
 */
import { CHANNELS, DIRECTIONS, type Channel, type Direction, type HarnessEvent } from "../protocol/events";

const channelSet = new Set<string>(CHANNELS);
const directionSet = new Set<string>(DIRECTIONS);

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isSafeInteger(v);

export type ParseResult = { ok: true; event: HarnessEvent } | { ok: false; reason: "json" | "shape" | "unknown" };

export function parseEventLine(line: string): ParseResult {
  if (line.length === 0) return { ok: false, reason: "json" };
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { ok: false, reason: "json" };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { ok: false, reason: "shape" };
  const o = v as Record<string, unknown>;
  if (!isInt(o.pid) || (o.tid !== undefined && !isInt(o.tid))) return { ok: false, reason: "shape" };
  switch (o.e) {
    case "hello":
      return isInt(o.ppid) && isNum(o.t) && typeof o.role === "string" ? ok(o) : bad();
    case "site":
      return isInt(o.id) && typeof o.file === "string" && isInt(o.line) && typeof o.function === "string" ? ok(o) : bad();
    case "agg":
      return isNum(o.t) && Array.isArray(o.rows) && o.rows.every(isAggRow) ? ok(o) : bad();
    case "big":
      return isNum(o.t) && isInt(o.site) && isChannel(o.ch) && isDirection(o.dir) && isNum(o.bytes) ? ok(o) : bad();
    case "child":
      return isNum(o.t) && isInt(o.child) ? ok(o) : bad();
    case "reap":
      return isNum(o.t) && isInt(o.child) && isInt(o.exitCode) ? ok(o) : bad();
    case "shm":
      return isNum(o.t) && typeof o.op === "string" && typeof o.name === "string" && isNum(o.bytes) ? ok(o) : bad();
    case "heap":
      return isNum(o.t) ? ok(o) : bad();
    case "mem":
      return isNum(o.t) && isNum(o.rss) && isNum(o.pss) && isNum(o.uss) && isNum(o.privateDirty) ? ok(o) : bad();
    case "bye":
      return isNum(o.t) && (o.exitCode === null || isInt(o.exitCode)) ? ok(o) : bad();
    case "warn":
      return typeof o.msg === "string" ? ok(o) : bad();
    default:
      return typeof o.e === "string" ? { ok: false, reason: "unknown" } : bad();
  }
}

function ok(o: Record<string, unknown>): ParseResult {
  return { ok: true, event: o as unknown as HarnessEvent };
}
function bad(): ParseResult {
  return { ok: false, reason: "shape" };
}
function isChannel(v: unknown): v is Channel {
  return typeof v === "string" && channelSet.has(v);
}
function isDirection(v: unknown): v is Direction {
  return typeof v === "string" && directionSet.has(v);
}
function isAggRow(r: unknown): boolean {
  return (
    Array.isArray(r) && r.length >= 6 && isInt(r[0]) && isChannel(r[1]) && isDirection(r[2]) &&
    isNum(r[3]) && isNum(r[4]) && isNum(r[5]) && (r[6] === undefined || Array.isArray(r[6])) &&
    (r[7] === undefined || isInt(r[7]))
  );
}
