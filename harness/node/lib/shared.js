'use strict';
/*
 * SharedArrayBuffers: shared, never copied. Each buffer is listed once as a `shm` event
 * (kind "SharedArrayBuffer") with a stable name `sab-<pid>-<tid>-<n>`:
 *   op "create" from the thread that first sends (or first sees) it, with the sending site;
 *   op "attach" from every other thread of the process that receives it.
 *
 * The threads of a process see the same buffer as different JS objects, and JS offers no
 * identity for a backing store. So the sending thread publishes (name, byteLength) in a small
 * process-wide ring, itself a SharedArrayBuffer handed to every worker through
 * worker_threads environment data; a receiving thread takes the newest published name with the
 * same byteLength. Two different buffers of the same size sent at the same moment can be
 * confused for each other's `attach` (never a second `create` with a new name for one buffer);
 * a buffer the ring cannot name gets a `create` from the receiver (its sender was not instrumented).
 *
 * The same region holds a second ring, of transferred ArrayBuffer sizes: a receiving thread
 * cannot tell a moved ArrayBuffer from a copied one, so the sender publishes the byteLength of
 * each buffer it transfers and a receiver that gets an ArrayBuffer (or a view) of exactly that
 * size claims the entry and counts it as `transfer`, not as copied bytes. See docs/node.md.
 */
const wt = require('worker_threads');
const log = require('./log');

const KEY = 'wmprof:sab-registry';
const SLOTS = 256;
const MOVE_SLOTS = 256;
/** Transfers smaller than this are not published (their copy/transfer split does not matter). */
const MOVE_MIN = 1024;
const OFF_SABS = 16;
const OFF_MOVES = OFF_SABS + SLOTS * 20;
const REG_BYTES = OFF_MOVES + MOVE_SLOTS * 12;

let hdr = null; // Int32Array [writeIndex]
let lens = null; // Float64Array
let tids = null; // Int32Array
let seqs = null; // Int32Array
let stamps = null; // Int32Array
let moveLens = null; // Float64Array
let moveState = null; // Int32Array: 1 = published, 0 = free/claimed

const names = new WeakMap();
/** Names this thread already reported (one buffer reaches a thread as several JS objects). */
const announced = new Set();
let seq = 0;
let tidNum = 0;

function init(tid) {
  tidNum = tid === undefined ? 0 : tid;
  let reg = null;
  try {
    reg = wt.getEnvironmentData(KEY) || null;
  } catch {
    reg = null;
  }
  if (!(reg instanceof SharedArrayBuffer) || reg.byteLength !== REG_BYTES) {
    reg = new SharedArrayBuffer(REG_BYTES);
    try {
      wt.setEnvironmentData(KEY, reg);
    } catch {
      /* workers of this thread will use their own ring */
    }
  }
  // hdr: [0] SAB ring write index, [1] move ring write index, [2] published moves outstanding.
  hdr = new Int32Array(reg, 0, 4);
  lens = new Float64Array(reg, OFF_SABS, SLOTS);
  tids = new Int32Array(reg, OFF_SABS + SLOTS * 8, SLOTS);
  seqs = new Int32Array(reg, OFF_SABS + SLOTS * 12, SLOTS);
  stamps = new Int32Array(reg, OFF_SABS + SLOTS * 16, SLOTS);
  moveLens = new Float64Array(reg, OFF_MOVES, MOVE_SLOTS);
  moveState = new Int32Array(reg, OFF_MOVES + MOVE_SLOTS * 8, MOVE_SLOTS);
}

/** The sender moved an ArrayBuffer of `n` bytes (called before the post). */
function moving(n) {
  if (hdr === null || n < MOVE_MIN) return;
  const slot = Atomics.add(hdr, 1, 1) & (MOVE_SLOTS - 1);
  // A slot still published from a transfer nobody received is simply reused.
  if (Atomics.exchange(moveState, slot, 0) === 1) Atomics.sub(hdr, 2, 1);
  moveLens[slot] = n;
  Atomics.store(moveState, slot, 1);
  Atomics.add(hdr, 2, 1);
}

/** Are there published transfers nobody has claimed yet? (One atomic load.) */
function movesPending() {
  return hdr !== null && Atomics.load(hdr, 2) > 0;
}

/** A received ArrayBuffer of `n` bytes: true when a sender published a transfer of that size. */
function claimMoved(n) {
  if (hdr === null || n < MOVE_MIN || Atomics.load(hdr, 2) <= 0) return false;
  const last = Atomics.load(hdr, 1);
  for (let j = last - 1; j >= 0 && j >= last - MOVE_SLOTS; j--) {
    const slot = j & (MOVE_SLOTS - 1);
    if (moveLens[slot] === n && Atomics.compareExchange(moveState, slot, 1, 0) === 1) {
      Atomics.sub(hdr, 2, 1);
      return true;
    }
  }
  return false;
}

function publish(byteLength, tid, n) {
  if (hdr === null) return;
  const i = Atomics.add(hdr, 0, 1);
  const slot = i & (SLOTS - 1);
  Atomics.store(stamps, slot, 0);
  lens[slot] = byteLength;
  Atomics.store(tids, slot, tid);
  Atomics.store(seqs, slot, n);
  Atomics.store(stamps, slot, (i + 1) | 0);
}

function lookup(byteLength) {
  if (hdr === null) return null;
  const n = Atomics.load(hdr, 0);
  for (let j = n - 1; j >= 0 && j >= n - SLOTS; j--) {
    const slot = j & (SLOTS - 1);
    if (Atomics.load(stamps, slot) !== ((j + 1) | 0) || lens[slot] !== byteLength) continue;
    const tid = Atomics.load(tids, slot);
    const s = Atomics.load(seqs, slot);
    if (Atomics.load(stamps, slot) !== ((j + 1) | 0)) continue;
    return [`sab-${log.state.pid}-${tid}-${s}`, tid, s];
  }
  return null;
}

function shmLine(op, name, n, site) {
  log.emit(log.line('shm', `,"op":"${op}","kind":"SharedArrayBuffer","name":"${name}","bytes":${n},"site":${site}`));
}

/** This thread sends `sab` from `site`. */
function sent(sab, site) {
  let e = names.get(sab);
  if (e === undefined) {
    const n = seq++;
    e = { name: `sab-${log.state.pid}-${tidNum}-${n}`, tid: tidNum, seq: n };
    names.set(sab, e);
    announced.add(e.name);
    shmLine('create', e.name, sab.byteLength, site);
  }
  // Republished on every send so that a receiver can name it even after the ring wrapped.
  publish(sab.byteLength, e.tid, e.seq);
}

/** This thread received `sab` (in a message or in workerData). */
function received(sab) {
  if (names.has(sab)) return;
  const hit = lookup(sab.byteLength);
  if (hit === null) {
    const n = seq++;
    const e = { name: `sab-${log.state.pid}-${tidNum}-${n}`, tid: tidNum, seq: n };
    names.set(sab, e);
    announced.add(e.name);
    shmLine('create', e.name, sab.byteLength, -1);
    return;
  }
  names.set(sab, { name: hit[0], tid: hit[1], seq: hit[2] });
  // A buffer coming back to the thread that created it, or seen again, is already listed.
  if (announced.has(hit[0])) return;
  announced.add(hit[0]);
  shmLine('attach', hit[0], sab.byteLength, -1);
}

module.exports = { init, sent, received, moving, claimMoved, movesPending };
