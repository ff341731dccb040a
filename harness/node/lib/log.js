'use strict';
/*
 * One thread's event log and counters. Every Node thread (the main thread of each process and
 * every worker thread) owns one append-only file in the run folder:
 *   main thread:   <runDir>/events-<pid>.ndjson            (lines carry no `tid`)
 *   worker thread: <runDir>/events-<pid>-t<threadId>.ndjson (lines carry `tid`)
 * and writes it itself with fs.writeSync, so nothing is shared between threads and a killed
 * process loses at most what accumulated since the last flush (<= 250 ms).
 *
 * Hot path: record() only bumps preallocated typed-array counters, and a stream's fast path
 * (tallies, below) only one counter on the stream. Lines that are not urgent (`site`, `big`,
 * `heap`, `agg`) wait in `pending` and go out in one write per flush; a flush happens at most
 * every 250 ms, triggered from the hooks themselves (a clock read every CHECK_EVERY records, and
 * after every big message), from an unref'd 250 ms timer, and at exit.
 *
 * Agg rows are the protocol's [site, channel, direction, count, bytes, ns, hist] plus an 8th
 * element, a KIND_* bit mask of what the row's messages were (additive: readers ignore it).
 */
const fs = require('fs');
const v8 = require('v8');

const CHANNELS = ['message-port', 'ipc', 'transfer'];
const DIRECTIONS = ['send', 'recv'];
const CH_PORT = 0;
const CH_IPC = 1;
const CH_TRANSFER = 2;
const SEND = 0;
const RECV = 1;

/** Histogram buckets: upper bounds 64, 256, 1K, ... 64M (powers of 4 from 2^6), then open. */
const HIST = 12;
const BIG = 65536;
const FLUSH_MS = 250;
const CHECK_EVERY = 32;
/** A heap line is written when a figure moved by this much, or at least every HEAP_IDLE_MS. */
const HEAP_DELTA = 65536;
const HEAP_IDLE_MS = 5000;
/** Upper bound on buffered `big` lines between two flushes (the rest are counted in agg only). */
const MAX_PENDING_BIG = 2000;

const state = {
  fd: -1,
  pid: process.pid,
  /** undefined on a process's main thread. */
  tid: undefined,
  /** Prefix shared by every line: `"pid":1,"tid":2,` */
  prefix: '',
  pending: [],
  pendingBig: 0,
  droppedBig: 0,
  dirty: false,
  lastTick: 0,
  countdown: CHECK_EVERY,
  lastHeap: null,
  lastHeapAt: 0,
  closed: false,
  /** Called at every tick (250 ms) to reset per-window budgets elsewhere. */
  onTick: null,
};

// Counters: one row per key = (site + 1) * 6 + channel * 2 + direction, ROW doubles per row in
// one Float64Array (a message touches one or two cache lines), grown by doubling.
const C_COUNT = 0;
const C_BYTES = 1;
const C_NS = 2; // sum of timed ns
const C_NSN = 3; // number of timed messages
const C_MEASURED = 4; // messages sized by a real serialization
const C_LAST = 5; // last such size (the estimate for unmeasured ones)
const C_KINDS = 6; // what the row's messages were: KIND_* bits
const C_HIST = 7;
const ROW = C_HIST + HIST;

/** Bits of an agg row's 8th element (see docs/node.md). */
const KIND_BINARY = 1; // ArrayBuffer, TypedArray, DataView, Buffer
const KIND_PRIMITIVE = 2; // string, number, boolean, null, undefined
const KIND_OBJECTS = 4; // objects, arrays, Maps... (structured clone of a graph; JSON objects)
const KIND_SHARED = 8; // carried a SharedArrayBuffer
const KIND_ESTIMATED = 16; // some sizes are estimates (sampled measurement)

let cap = 0;
let rows = new Float64Array(0);
const usedKeys = [];

function grow(key) {
  let n = cap || 96;
  while (n <= key) n *= 2;
  const b = new Float64Array(n * ROW);
  b.set(rows);
  rows = b;
  cap = n;
}
grow(0);

function rowKey(site, ch, dir) {
  const key = (site + 1) * 6 + ch * 2 + dir;
  if (key >= cap) grow(key);
  return key;
}

function bucket(n) {
  if (n < 64) return 0;
  if (n >= 67108864) return 11;
  // n in [2^6, 2^26): bucket 1 is [64, 256), 2 is [256, 1K), ... two bits per bucket.
  return ((31 - Math.clz32(n)) - 6 >> 1) + 1;
}

/** Counts one message of `n` bytes; `ns` < 0 when the call was not timed. */
function record(key, n, ns) {
  const o = key * ROW;
  const r = rows;
  if (r[o + C_COUNT] === 0 && r[o + C_BYTES] === 0 && usedKeys.indexOf(key) < 0) usedKeys.push(key);
  r[o + C_COUNT]++;
  r[o + C_BYTES] += n;
  r[o + C_HIST + bucket(n)]++;
  if (ns >= 0) {
    r[o + C_NS] += ns;
    r[o + C_NSN]++;
  }
  state.dirty = true;
  if (--state.countdown <= 0) poll();
}

/**
 * Should this complex message (not sizable in O(1)) be serialized to measure it? Measuring costs
 * one v8.Serializer pass: 4-10 us for a small object on the reference machine (a small
 * postMessage is ~0.6 us), about one clone's worth of work for a large one. So: the first 8
 * messages of each row always, then a random 1 in 32 when the row's messages are >= 64 KiB
 * (<= ~3 % of the clone cost), 1 in 128 when >= 1 KiB, 1 in 1024 below (<= ~10 ns a message).
 * Unmeasured messages are counted at the row's last measured size. WMPROF_NODE_EXACT=1 measures
 * every message.
 */
function wantsExact(key) {
  const o = key * ROW;
  if (rows[o + C_MEASURED] < 8 || exactAlways) return true;
  const last = rows[o + C_LAST];
  const mask = last >= 65536 ? 31 : last >= 1024 ? 127 : 1023;
  return (rand() & mask) === 0;
}

/**
 * Tallies: the fast path of a stream (a port's sends, a port's receives) whose row is measured.
 * A plain object or array there is counted at the size last measured on that stream by bumping
 * one counter on the stream itself; tallies are folded into the rows at every flush (and before
 * exit), so the hot path touches the stream and nothing else. Each message draws one random
 * number: 1 in 64 is timed, and 1 in 32 / 128 / 1024 (by size, see wantsExact) is measured,
 * both through the general path.
 */
const tallies = [];
const NO_SITE = -9;

function tally() {
  return { site: NO_SITE, key: -1, size: 0, mask: 0, count: 0 };
}

/** Arms `t` after a measured message of `n` bytes at row `key` (once the row has 8 of them). */
function arm(t, site, key, n) {
  fold(t);
  const o = key * ROW;
  if (rows[o + C_MEASURED] < 8 || exactAlways) {
    t.site = NO_SITE;
    return;
  }
  t.site = site;
  t.key = key;
  t.size = n;
  t.mask = n >= 65536 ? 31 : n >= 1024 ? 127 : 1023;
}

/** 0: count on the fast path; 1: go the general way to be timed; 2: ... and be measured. */
function draw(t) {
  const x = rand();
  if (((x >>> 6) & t.mask) === 0) return 2;
  return (x & 63) === 0 ? 1 : 0;
}

function bump(t) {
  if (t.count++ === 0) tallies.push(t);
  else if ((t.count & 63) === 0 && --state.countdown <= 0) poll();
}

function fold(t) {
  const c = t.count;
  if (c === 0) return;
  t.count = 0;
  const o = t.key * ROW;
  const r = rows;
  r[o + C_KINDS] = r[o + C_KINDS] | KIND_OBJECTS | KIND_ESTIMATED;
  r[o + C_COUNT] += c;
  r[o + C_BYTES] += c * t.size;
  r[o + C_HIST + bucket(t.size)] += c;
  state.dirty = true;
}

function foldAll() {
  for (let i = 0; i < tallies.length; i++) fold(tallies[i]);
  tallies.length = 0;
}

/** ORs KIND_* bits into a row. */
function mark(key, bits) {
  const o = key * ROW + C_KINDS;
  rows[o] = rows[o] | bits;
}

function noteExact(key, n) {
  const o = key * ROW;
  rows[o + C_MEASURED]++;
  rows[o + C_LAST] = n;
}
function estimate(key) {
  return rows[key * ROW + C_LAST];
}

let exactAlways = false;
function setExactAlways(v) {
  exactAlways = v;
}

// xorshift32: cheap sampling decisions without Math.random's per-call overhead.
let seed = (process.pid * 2654435761 + Date.now()) | 0 || 1;
function rand() {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

function now() {
  return Date.now();
}

function line(kind, rest) {
  return `{"e":"${kind}",${state.prefix}"t":${now()}${rest}}\n`;
}

/** Opens the thread's log and writes `hello` (fields after e/v/pid/tid/t). False when it cannot. */
function open(runDir, tid, hello) {
  state.tid = tid;
  state.prefix = tid === undefined ? `"pid":${state.pid},` : `"pid":${state.pid},"tid":${tid},`;
  const name = tid === undefined ? `events-${state.pid}.ndjson` : `events-${state.pid}-t${tid}.ndjson`;
  try {
    state.fd = fs.openSync(`${runDir}/${name}`, 'a', 0o600);
  } catch {
    state.fd = -1;
    return false;
  }
  const t = now();
  state.lastTick = t;
  const head = { e: 'hello', v: 1, pid: state.pid };
  if (tid !== undefined) head.tid = tid;
  head.t = t;
  write(JSON.stringify(Object.assign(head, hello)) + '\n');
  heap(t, true);
  flushPending();
  return true;
}

function write(s) {
  if (state.fd < 0) return;
  try {
    fs.writeSync(state.fd, s);
  } catch {
    // Disk full or folder gone: stop logging rather than fail the user's program.
    try {
      fs.closeSync(state.fd);
    } catch {
      /* ignore */
    }
    state.fd = -1;
  }
}

/** Queues a line for the next flush (sites, big messages, heap). */
function later(s) {
  state.pending.push(s);
}

/** Writes queued lines, then `s`, in one write (shm, child, reap, warn: rare and worth having now). */
function emit(s) {
  if (state.pending.length === 0) {
    write(s);
    return;
  }
  state.pending.push(s);
  flushPending();
}

function flushPending() {
  if (state.pending.length === 0) return;
  const s = state.pending.join('');
  state.pending.length = 0;
  state.pendingBig = 0;
  write(s);
}

function siteLine(id, file, lineNo, fn) {
  later(line('site', `,"id":${id},"file":${JSON.stringify(file)},"line":${lineNo},"function":${JSON.stringify(fn)}`));
}

function big(site, ch, dir, n, ns) {
  if (state.pendingBig >= MAX_PENDING_BIG) {
    state.droppedBig++;
    return;
  }
  state.pendingBig++;
  later(line('big', `,"site":${site},"ch":"${CHANNELS[ch]}","dir":"${DIRECTIONS[dir]}","bytes":${n},"ns":${Math.max(0, Math.round(ns))}`));
  state.countdown = 0; // check the clock on the next record()
}

function aggLine() {
  const out = [];
  for (let i = 0; i < usedKeys.length; i++) {
    const k = usedKeys[i];
    const o = k * ROW;
    const n = rows[o + C_COUNT];
    const ns = rows[o + C_NSN] > 0 ? Math.round((rows[o + C_NS] / rows[o + C_NSN]) * n) : 0;
    out.push([Math.floor(k / 6) - 1, CHANNELS[(k % 6) >> 1], DIRECTIONS[k & 1], n, Math.round(rows[o + C_BYTES]), ns,
      Array.from(rows.subarray(o + C_HIST, o + ROW)), rows[o + C_KINDS]]);
  }
  return line('agg', `,"rows":${JSON.stringify(out)}`);
}

function heap(t, force) {
  let h;
  try {
    h = v8.getHeapStatistics();
  } catch {
    return;
  }
  const used_ = h.used_heap_size;
  const total = h.total_heap_size;
  const ext = h.external_memory || 0;
  const p = state.lastHeap;
  if (!force && p !== null && t - state.lastHeapAt < HEAP_IDLE_MS &&
      Math.abs(used_ - p[0]) < HEAP_DELTA && Math.abs(total - p[1]) < HEAP_DELTA && Math.abs(ext - p[2]) < HEAP_DELTA) {
    return;
  }
  state.lastHeap = [used_, total, ext];
  state.lastHeapAt = t;
  later(line('heap', `,"heapUsed":${used_},"heapTotal":${total},"external":${ext}`));
}

/** From the hot path, every CHECK_EVERY records or after a big message: flush if 250 ms passed. */
function poll() {
  state.countdown = CHECK_EVERY;
  const t = now();
  if (t - state.lastTick >= FLUSH_MS) tick(t);
}

function tick(t) {
  if (state.closed) return;
  state.lastTick = t;
  foldAll();
  heap(t, false);
  if (state.dirty) {
    state.dirty = false;
    later(aggLine());
  }
  flushPending();
  if (state.onTick !== null) state.onTick();
}

/**
 * A 250 ms timer that never keeps a thread alive (unref'd): it flushes counters and samples the
 * heap while the thread is idle or only awaiting I/O, when no hook runs to piggyback on.
 */
function startTimer() {
  const timer = setInterval(() => tick(now()), FLUSH_MS);
  if (typeof timer.unref === 'function') timer.unref();
}

/** Final lines: pending, heap, cumulative agg, bye. Idempotent. */
function close(exitCode) {
  if (state.closed || state.fd < 0) return;
  const t = now();
  foldAll();
  heap(t, true);
  if (usedKeys.length > 0) later(aggLine());
  if (state.droppedBig > 0) later(line('warn', `,"msg":${JSON.stringify(`${state.droppedBig} big-message events dropped (more than ${MAX_PENDING_BIG} per 250 ms)`)}`));
  later(line('bye', `,"exitCode":${Number.isInteger(exitCode) ? exitCode : 'null'}`));
  state.closed = true;
  flushPending();
  try {
    fs.closeSync(state.fd);
  } catch {
    /* ignore */
  }
  state.fd = -1;
}

module.exports = {
  CH_PORT, CH_IPC, CH_TRANSFER, SEND, RECV, BIG,
  KIND_BINARY, KIND_PRIMITIVE, KIND_OBJECTS, KIND_SHARED, KIND_ESTIMATED, mark,
  state, rowKey, record, tally, arm, draw, bump, wantsExact, noteExact, estimate, setExactAlways, rand,
  open, line, later, emit, siteLine, big, tick, startTimer, close, write,
};
