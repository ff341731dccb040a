'use strict';
/*
 * The hooks, installed in every thread by preload.js:
 *   MessagePort.prototype.postMessage: every MessageChannel port and parentPort, and also
 *     Worker.prototype.postMessage and BroadcastChannel.prototype.postMessage, which on Node 20
 *     are JS methods (node:internal/worker, .../io) forwarding to an inner MessagePort: the
 *     port hook attributes those to the frame below them (wrapping Worker.prototype.postMessage
 *     as well measured +0.27 us per message for nothing),
 *   worker_threads.postMessageToThread, receiveMessageOnPort,
 *   delivery of 'message' on a MessagePort (the per-port dispatch Node calls for each message),
 *   ChildProcess.prototype.spawn (every fork/spawn/exec: `child`, `reap`, IPC send/receive),
 *   process.send / 'message' in an IPC child, and the Worker constructor (workerData, env).
 * Node's own traffic (a port whose first post comes from node:internal code: the worker bootstrap
 * port, worker stdio, postMessageToThread relays) is skipped, except that the `workerData` of a
 * new Worker, which Node clones inside its bootstrap message, is counted at the `new Worker` line.
 */
const path = require('path');
const os = require('os');
const wt = require('worker_threads');
const { performance } = require('perf_hooks');
const log = require('./log');
const sites = require('./sites');
const clone = require('./clone');
const { isAnyArrayBuffer } = require('util').types;
const shared = require('./shared');

const { CH_PORT, CH_IPC, CH_TRANSFER, SEND, RECV, BIG, KIND_BINARY, KIND_PRIMITIVE, KIND_OBJECTS, KIND_SHARED, KIND_ESTIMATED } = log;
const kStream = Symbol('wmprof.stream');
const kHybridDispatch = Symbol.for('nodejs.internal.kHybridDispatch');
const NAME_KEY = 'wmprof:thread-name';
/** `type` values of Node's own worker messages (internal/worker/io.js, internal/worker/messaging.js). */
const INTERNAL_TYPES = new Set([
  'loadScript', 'upAndRunning', 'errorMessage', 'couldNotSerializeError', 'stdioPayload', 'stdioWantsMoreData',
  'registerMainThreadPort', 'unregisterMainThreadPort', 'sendMessageToWorker', 'receiveMessageFromWorker',
]);

let runDir = '';
let preloadPath = '';

function install(dir, preload) {
  runDir = dir;
  preloadPath = preload;
  const tid = wt.isMainThread ? undefined : wt.threadId;
  if (process.env.WMPROF_NODE_EXACT === '1') {
    log.setExactAlways(true);
    sites.setExactAlways(true);
  }
  if (!log.open(runDir, tid, hello(tid))) return;
  log.state.onTick = sites.resetBudget;
  shared.init(tid);
  const warn = (what, e) => log.emit(log.line('warn', `,"msg":${JSON.stringify(`node harness: cannot hook ${what}: ${e && e.message}`)}`));
  const steps = [
    ['MessagePort.postMessage', hookPorts],
    ['Worker', hookWorker],
    ['worker_threads functions', hookThreadFunctions],
    ['child_process', hookChildProcess],
    ['process IPC', hookOwnIpc],
    ['workerData', countOwnWorkerData],
  ];
  for (const [what, fn] of steps) {
    try {
      fn();
    } catch (e) {
      warn(what, e);
    }
  }
  try {
    require('module').syncBuiltinESMExports();
  } catch {
    /* ESM importers then see the original exports; prototype hooks still apply */
  }
  process.on('exit', (code) => log.close(code));
  log.startTimer();
}

function hello(tid) {
  const base = { runtime: 'node', version: process.version, executable: process.execPath };
  if (tid !== undefined) {
    let name = null;
    try {
      name = wt.getEnvironmentData(NAME_KEY) || null;
    } catch {
      /* ignore */
    }
    // A thread's ppid is its process's pid, so that views nest threads under their process.
    return { ppid: process.pid, role: 'thread', startMethod: 'thread', name, ...base };
  }
  const parent = process.env.WMPROF_NODE_PARENT;
  const child = typeof parent === 'string' && parent !== '' && parent !== String(process.pid);
  const role = !child ? 'main' : typeof process.send === 'function' ? 'worker' : 'subprocess';
  const name = process.argv[1] ? path.basename(process.argv[1]) : null;
  return { ppid: process.ppid, role, startMethod: child ? 'exec' : null, name, ...base };
}

/** KIND_* bits of a message value (KIND_SHARED is added where SharedArrayBuffers are found). */
function kindOf(value) {
  if (typeof value !== 'object' || value === null) return KIND_PRIMITIVE;
  if (ArrayBuffer.isView(value) || isAnyArrayBuffer(value)) return KIND_BINARY;
  return KIND_OBJECTS;
}

function streamOf(obj) {
  let st = obj[kStream];
  if (st === undefined) {
    st = sites.newStream();
    try {
      Object.defineProperty(obj, kStream, { value: st, enumerable: false, configurable: true, writable: true });
    } catch {
      /* frozen object: a fresh state per call (always captured) */
    }
  }
  return st;
}

/**
 * A structured-clone send in two halves around the original call: beginSend() sizes the message
 * (before the call: a transfer detaches its buffers), endSend() counts it once the call returned
 * (a DataCloneError propagates unchanged and nothing is counted). Records come from a small stack
 * (a getter run by the serializer may post again), so the hot path allocates nothing.
 */
const sendStack = [];
let sendDepth = 0;

function beginSend(site, value, transfer, force, st) {
  let rec = sendStack[sendDepth];
  if (rec === undefined) {
    rec = { site: 0, key: 0, n: -1, moved: 0, measured: false, sabs: [], t0: -1, st: null, kinds: 0 };
    sendStack[sendDepth] = rec;
  }
  sendDepth++;
  const key = log.rowKey(site, CH_PORT, SEND);
  rec.st = st;
  rec.kinds = kindOf(value);
  rec.site = site;
  rec.key = key;
  rec.n = -1;
  rec.moved = 0;
  rec.measured = false;
  if (rec.sabs.length !== 0) rec.sabs.length = 0;
  try {
    const abs = clone.transferred(transfer);
    if (abs !== null) {
      rec.moved = clone.out.moved;
      for (let i = 0; i < abs.length; i++) shared.moving(abs[i].byteLength);
    }
    let n = clone.cloneSize(value, abs, false);
    if (n < 0 && (force || log.wantsExact(key))) {
      n = clone.serializedSize(value, abs);
      rec.measured = n >= 0;
    }
    rec.n = n;
    if (rec.kinds === KIND_OBJECTS && n > 0) {
      // A buffer wrapped in an object ({ task, data: Float64Array }) is still mostly a binary clone.
      const bufs = clone.buffersIn(value);
      let b = 0;
      for (let i = 0; i < bufs.length; i++) b += bufs[i].byteLength;
      if (b * 2 >= n) rec.kinds |= KIND_BINARY;
    }
    const found = clone.out.sabs;
    for (let i = 0; i < found.length; i++) rec.sabs.push(found[i]);
  } catch {
    rec.n = -1;
  }
  // Time spent in the original call (serialization + enqueue), on a sample of calls.
  rec.t0 = rec.measured || rec.n >= BIG || rec.moved >= BIG || (log.rand() & 63) === 0 ? performance.now() : -1;
  return rec;
}

function endSend(rec) {
  try {
    const ns = rec.t0 >= 0 ? (performance.now() - rec.t0) * 1e6 : -1;
    const { key, site } = rec;
    let n = rec.n;
    let kinds = rec.kinds;
    if (rec.measured) {
      log.noteExact(key, n);
      const st = rec.st;
      if (st !== null && rec.moved === 0) log.arm(st.send === null ? (st.send = log.tally()) : st.send, site, key, n);
    } else if (n < 0) {
      n = log.estimate(key);
      kinds |= KIND_ESTIMATED;
    }
    if (rec.sabs.length !== 0) kinds |= KIND_SHARED;
    log.mark(key, kinds);
    log.record(key, n, ns);
    if (n >= BIG) log.big(site, CH_PORT, SEND, n, ns);
    const moved = rec.moved;
    if (moved > 0) {
      const mk = log.rowKey(site, CH_TRANSFER, SEND);
      log.mark(mk, KIND_BINARY);
      log.record(mk, moved, -1);
      if (moved >= BIG) log.big(site, CH_TRANSFER, SEND, moved, 0);
    }
    const sabs = rec.sabs;
    for (let i = 0; i < sabs.length; i++) shared.sent(sabs[i], site);
  } catch {
    /* never fail the user's call after it succeeded */
  }
}

/** Counts one delivered message. Recv rows have site -1 (no user frame delivers a message). */
function received(ch, value, size, st) {
  const key = log.rowKey(-1, ch, RECV);
  const object = typeof value === 'object' && value !== null;
  if (ch === CH_PORT && object && shared.movesPending()) {
    // The receiver cannot tell a moved buffer from a copied one; senders publish their moves.
    if (receivedMoves(key, value)) return;
  }
  let force = false;
  if (st !== null && st.recv !== null && st.recv.site === -1 && object && (ch !== CH_PORT || (!ArrayBuffer.isView(value) && !isAnyArrayBuffer(value)))) {
    const d = log.draw(st.recv);
    if (d === 0) {
      log.bump(st.recv);
      return;
    }
    force = d === 2;
  }
  let n = -1;
  if (ch === CH_PORT) {
    n = clone.cloneSize(value, null, false);
  } else if (clone.out.sabs.length !== 0) {
    clone.out.sabs.length = 0;
  }
  if (n < 0 && (force || log.wantsExact(key))) {
    n = size(value);
    if (n >= 0) {
      log.noteExact(key, n);
      if (st !== null) log.arm(st.recv === null ? (st.recv = log.tally()) : st.recv, -1, key, n);
    }
  }
  let kinds = kindOf(value);
  if (n < 0) {
    n = log.estimate(key);
    kinds |= KIND_ESTIMATED;
  }
  const sabs = clone.out.sabs;
  if (sabs.length !== 0) {
    kinds |= KIND_SHARED;
    for (let i = 0; i < sabs.length; i++) shared.received(sabs[i]);
    sabs.length = 0;
  }
  log.mark(key, kinds);
  log.record(key, n, -1);
  if (n >= BIG) log.big(-1, ch, RECV, n, 0);
}

/** A received message with buffers that a sender published as moved: counted as `transfer`. */
function receivedMoves(key, value) {
  const bufs = clone.buffersIn(value);
  let moved = null;
  for (let i = 0; i < bufs.length; i++) {
    if (shared.claimMoved(bufs[i].byteLength)) (moved === null ? (moved = []) : moved).push(bufs[i]);
  }
  if (moved === null) return false;
  let n = clone.cloneSize(value, moved, false);
  if (n < 0) n = clone.serializedSize(value, moved);
  if (n < 0) n = 0;
  let bytes = 0;
  for (let i = 0; i < moved.length; i++) bytes += moved[i].byteLength;
  const sabs = clone.out.sabs;
  for (let i = 0; i < sabs.length; i++) shared.received(sabs[i]);
  log.mark(key, kindOf(value) | (sabs.length !== 0 ? KIND_SHARED : 0));
  log.record(key, n, -1);
  const mk = log.rowKey(-1, CH_TRANSFER, RECV);
  log.mark(mk, KIND_BINARY);
  log.record(mk, bytes, -1);
  if (bytes >= BIG) log.big(-1, CH_TRANSFER, RECV, bytes, 0);
  return true;
}

function cloneSizeExact(v) {
  return clone.serializedSize(v, null);
}

function portReceived(port, data) {
  let st = port[kStream];
  if (st !== undefined && !st.internal) {
    received(CH_PORT, data, cloneSizeExact, st);
    return;
  }
  if (st === undefined) {
    st = streamOf(port);
    // A port never posted on by this thread whose first message is one of Node's own.
    if (data !== null && typeof data === 'object' && typeof data.type === 'string' && INTERNAL_TYPES.has(data.type)) st.internal = true;
  }
  if (!st.internal) received(CH_PORT, data, cloneSizeExact, st);
}

function hookPorts() {
  const proto = wt.MessagePort.prototype;
  const origPost = proto.postMessage;
  function postMessage(value, transfer) {
    const st = streamOf(this);
    if (st.internal) return Reflect.apply(origPost, this, arguments);
    const site = sites.site(st, postMessage);
    if (site === -2) {
      st.internal = true;
      if (value !== null && typeof value === 'object' && value.type === 'loadScript' && value.workerData !== undefined) {
        return postWorkerData(this, origPost, arguments, value.workerData, transfer, sites.lastSite);
      }
      return Reflect.apply(origPost, this, arguments);
    }
    // Fast path: a plain object/array (no transfer list) on a stream whose row is measured.
    let force = false;
    const t = st.send;
    if (t !== null && t.site === site && transfer === undefined && typeof value === 'object' && value !== null &&
        !ArrayBuffer.isView(value) && !isAnyArrayBuffer(value)) {
      const d = log.draw(t);
      if (d === 0) {
        const r = arguments.length === 1 ? origPost.call(this, value) : Reflect.apply(origPost, this, arguments);
        log.bump(t);
        return r;
      }
      force = d === 2;
    }
    const rec = beginSend(site, value, transfer, force, st);
    let r;
    try {
      r = Reflect.apply(origPost, this, arguments);
    } finally {
      sendDepth--;
    }
    endSend(rec);
    return r;
  }
  redefine(proto, 'postMessage', postMessage);

  const origDispatch = proto[kHybridDispatch];
  if (typeof origDispatch === 'function') {
    const dispatch = function (data, type, event) {
      if (type === 'message' && event === undefined) {
        try {
          portReceived(this, data);
        } catch {
          /* ignore */
        }
      }
      return origDispatch.call(this, data, type, event);
    };
    Object.defineProperty(proto, kHybridDispatch, { value: dispatch, writable: true, configurable: true, enumerable: false });
  } else {
    throw new Error('no per-port message dispatch (receive side not counted)');
  }
}

/** `new Worker(file, { workerData })`: Node clones workerData in its bootstrap message. */
function postWorkerData(self, orig, args, data, transfer, site) {
  let n = -1;
  let moved = 0;
  let sabs = null;
  try {
    const abs = clone.transferred(transfer);
    moved = clone.out.moved;
    n = clone.serializedSize(data, abs);
    if (clone.out.sabs.length > 0) sabs = clone.out.sabs.slice();
  } catch {
    n = -1;
  }
  const r = Reflect.apply(orig, self, args);
  try {
    if (n >= 0) {
      const key = log.rowKey(site, CH_PORT, SEND);
      log.mark(key, kindOf(data) | (sabs !== null ? KIND_SHARED : 0));
      log.record(key, n, -1);
      if (n >= BIG) log.big(site, CH_PORT, SEND, n, 0);
    }
    if (moved > 0) {
      const mk = log.rowKey(site, CH_TRANSFER, SEND);
      log.mark(mk, KIND_BINARY);
      log.record(mk, moved, -1);
    }
    if (sabs !== null) for (let i = 0; i < sabs.length; i++) shared.sent(sabs[i], site);
  } catch {
    /* ignore */
  }
  return r;
}

function countOwnWorkerData() {
  if (wt.isMainThread || wt.workerData === undefined) return;
  received(CH_PORT, wt.workerData, cloneSizeExact, null);
}

function hookWorker() {
  const Orig = wt.Worker;
  // The constructor: a Worker given an `env` without our NODE_OPTIONS would run uninstrumented;
  // its name reaches the new thread's `hello` through environment data; its exit is recorded.
  class Worker extends Orig {
    constructor(filename, options) {
      const opts = workerOptions(options);
      let prev;
      let named = false;
      try {
        prev = wt.getEnvironmentData(NAME_KEY);
        wt.setEnvironmentData(NAME_KEY, threadName(filename, options));
        named = true;
      } catch {
        /* ignore */
      }
      try {
        super(filename, opts);
      } finally {
        if (named) wt.setEnvironmentData(NAME_KEY, prev);
      }
      const tid = this.threadId;
      this.once('exit', (code) => {
        // The thread writes its own `bye`; after terminate() it cannot, so its creator does.
        log.emit(`{"e":"bye","pid":${process.pid},"tid":${tid},"t":${Date.now()},"exitCode":${Number.isInteger(code) ? code : 'null'}}\n`);
      });
    }
  }
  wt.Worker = Worker;
}

function workerOptions(options) {
  if (options === null || typeof options !== 'object') return options;
  const env = options.env;
  if (env === null || typeof env !== 'object' || env === process.env) return options;
  const cur = typeof env.NODE_OPTIONS === 'string' ? env.NODE_OPTIONS : '';
  const has = cur.includes(preloadPath);
  if (has && env.WMPROF_RUN_DIR === runDir) return options;
  return { ...options, env: { ...env, NODE_OPTIONS: has ? cur : withPreload(cur), WMPROF_RUN_DIR: runDir } };
}

function threadName(filename, options) {
  if (options && typeof options.name === 'string' && options.name.trim() !== '') return options.name.trim();
  if (options && options.eval) return '[eval]';
  try {
    const p = filename instanceof URL ? filename.pathname : String(filename);
    return path.basename(p);
  } catch {
    return null;
  }
}

function withPreload(cur) {
  const quoted = /[\s"\\]/.test(preloadPath) ? `"${preloadPath.replace(/[\\"]/g, '\\$&')}"` : preloadPath;
  return cur ? `--require ${quoted} ${cur}` : `--require ${quoted}`;
}

function hookThreadFunctions() {
  const origReceive = wt.receiveMessageOnPort;
  if (typeof origReceive === 'function') {
    wt.receiveMessageOnPort = function receiveMessageOnPort(port) {
      const r = Reflect.apply(origReceive, this, arguments);
      if (r !== undefined && port !== null && typeof port === 'object') {
        try {
          portReceived(port, r.message);
        } catch {
          /* ignore */
        }
      }
      return r;
    };
  }
  const origToThread = wt.postMessageToThread;
  if (typeof origToThread === 'function') {
    const st = sites.newStream();
    wt.postMessageToThread = function postMessageToThread(threadId, value, transferList) {
      const site = sites.site(st, postMessageToThread);
      const rec = beginSend(site < 0 ? -1 : site, value, transferList, false, null);
      let r;
      try {
        r = Reflect.apply(origToThread, this, arguments);
      } finally {
        sendDepth--;
      }
      endSend(rec);
      return r;
    };
  }
}

function redefine(obj, name, fn) {
  const d = Object.getOwnPropertyDescriptor(obj, name) || { writable: true, enumerable: false, configurable: true };
  Object.defineProperty(obj, name, { value: fn, writable: d.writable !== false, enumerable: !!d.enumerable, configurable: true });
}

// ---------------------------------------------------------------------------------------------
// Child processes

function hookChildProcess() {
  const { ChildProcess } = require('child_process');
  const origSpawn = ChildProcess.prototype.spawn;
  ChildProcess.prototype.spawn = function spawn(options) {
    try {
      childEnv(options);
    } catch {
      /* ignore */
    }
    const r = Reflect.apply(origSpawn, this, arguments);
    try {
      afterSpawn(this, options);
    } catch {
      /* ignore */
    }
    return r;
  };
}

function isNodeFile(file) {
  return typeof file === 'string' && (file === process.execPath || /(^|[\\/])(node|nodejs)(\.exe)?$/i.test(file));
}

/** A Node child always gets the harness (even with a custom env); every child learns its parent. */
function childEnv(options) {
  const pairs = options && options.envPairs;
  if (!Array.isArray(pairs)) return;
  let hasRun = false;
  let opt = -1;
  let par = -1;
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i];
    if (typeof p !== 'string') continue;
    if (p.startsWith('WMPROF_RUN_DIR=')) hasRun = true;
    else if (p.startsWith('NODE_OPTIONS=')) opt = i;
    else if (p.startsWith('WMPROF_NODE_PARENT=')) par = i;
  }
  if (isNodeFile(options.file)) {
    if (!hasRun) pairs.push(`WMPROF_RUN_DIR=${runDir}`);
    hasRun = true;
    const cur = opt >= 0 ? pairs[opt].slice('NODE_OPTIONS='.length) : '';
    if (!cur.includes(preloadPath)) {
      const v = `NODE_OPTIONS=${withPreload(cur)}`;
      if (opt >= 0) pairs[opt] = v;
      else pairs.push(v);
    }
  }
  if (hasRun) {
    const v = `WMPROF_NODE_PARENT=${process.pid}`;
    if (par >= 0) pairs[par] = v;
    else pairs.push(v);
  }
}

function childName(options) {
  const file = options.file;
  const args = Array.isArray(options.args) ? options.args : [];
  if (isNodeFile(file)) {
    for (let i = 1; i < args.length; i++) {
      const a = String(args[i]);
      if (a.startsWith('-')) {
        if (a === '-r' || a === '--require' || a === '--import' || a === '--loader') i++;
        continue;
      }
      return path.basename(a);
    }
  }
  return typeof file === 'string' ? path.basename(file) : null;
}

function afterSpawn(child, options) {
  const pid = child.pid;
  if (!Number.isInteger(pid) || pid <= 0) return;
  const ipc = Object.prototype.hasOwnProperty.call(child, 'send') && typeof child.send === 'function';
  const role = ipc ? 'worker' : 'subprocess';
  log.emit(log.line('child', `,"child":${pid},"startMethod":"exec","role":"${role}","name":${JSON.stringify(childName(options))}`));
  child.once('exit', (code, signal) => {
    const exitCode = Number.isInteger(code) ? code : -((signal && os.constants.signals[signal]) || 1);
    log.emit(log.line('reap', `,"child":${pid},"exitCode":${exitCode}`));
  });
  if (ipc) instrumentIpc(child, options.serialization === 'advanced' ? 'advanced' : 'json');
}

function hookOwnIpc() {
  // Node deletes NODE_CHANNEL_FD / NODE_CHANNEL_SERIALIZATION_MODE from the env before the preload
  // runs; the channel itself tells the mode (its parser state is kJSONBuffer or kMessageBuffer).
  if (!wt.isMainThread || typeof process.send !== 'function') return;
  const channel = channelOf(process);
  if (channel === null) return;
  const advanced = Object.getOwnPropertySymbols(channel).some((s) => s.description === 'kMessageBuffer');
  instrumentIpc(process, advanced ? 'advanced' : 'json');
}

function channelOf(target) {
  for (const s of Object.getOwnPropertySymbols(target)) {
    if (s.description === 'kChannelHandle') return target[s];
  }
  return null;
}

/**
 * IPC of one ChildProcess (parent side) or of `process` (child side). Sizes come from the bytes
 * Node writes to the channel (JSON line incl. newline, or the v8 payload without its 4-byte
 * length), read in the channel's write method, so nothing is serialized twice; without access to
 * the channel they are computed (JSON.stringify / v8 serializer) instead.
 */
function instrumentIpc(target, mode) {
  const origSend = target.send;
  if (typeof origSend !== 'function') return;
  const st = sites.newStream();
  let active = 0;
  let written = -1;
  let viaChannel = false;
  const channel = channelOf(target);
  if (channel !== null && typeof channel === 'object') {
    const origUtf8 = channel.writeUtf8String;
    const origBuf = channel.writeBuffer;
    if (typeof origUtf8 === 'function' && typeof origBuf === 'function') {
      channel.writeUtf8String = function writeUtf8String(req, string) {
        const r = Reflect.apply(origUtf8, this, arguments);
        if (active > 0 && r === 0 && typeof string === 'string') written = Buffer.byteLength(string);
        return r;
      };
      channel.writeBuffer = function writeBuffer(req, buf) {
        const r = Reflect.apply(origBuf, this, arguments);
        if (active > 0 && r === 0 && buf && typeof buf.length === 'number') written = Math.max(0, buf.length - 4);
        return r;
      };
      viaChannel = true;
    }
  }
  const sizeOf = mode === 'advanced' ? clone.advancedSize : clone.jsonSize;
  target.send = function send(message) {
    // Node's own messages ({cmd: 'NODE_...'}: cluster, handle passing acks) are not the user's.
    if (message !== null && typeof message === 'object' && typeof message.cmd === 'string' && message.cmd.startsWith('NODE_')) {
      return Reflect.apply(origSend, this, arguments);
    }
    const s = sites.site(st, send);
    const site = s < 0 ? -1 : s;
    const timed = (log.rand() & 7) === 0 || !viaChannel;
    const t0 = timed ? performance.now() : 0;
    written = -1;
    active++;
    let r;
    try {
      r = Reflect.apply(origSend, this, arguments);
    } finally {
      active--;
    }
    try {
      let n = written;
      if (!viaChannel && this.connected !== false) n = sizeOf(message);
      if (n >= 0) {
        const ns = timed ? (performance.now() - t0) * 1e6 : -1;
        const key = log.rowKey(site, CH_IPC, SEND);
        log.mark(key, kindOf(message));
        log.record(key, n, ns);
        if (n >= BIG) log.big(site, CH_IPC, SEND, n, ns);
      }
    } catch {
      /* ignore */
    }
    return r;
  };
  const origEmit = target.emit;
  const rst = sites.newStream();
  target.emit = function emit(type, message) {
    if (type === 'message') {
      try {
        received(CH_IPC, message, sizeOf, rst);
      } catch {
        /* ignore */
      }
    }
    return Reflect.apply(origEmit, this, arguments);
  };
}

module.exports = { install };
