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

const { CH_PORT, CH_IPC, CH_TRANSFER, SEND, RECV, BIG } = log;
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

function beginSend(site, value, transfer) {
  let rec = sendStack[sendDepth];
  if (rec === undefined) {
    rec = { site: 0, key: 0, n: -1, moved: 0, measured: false, sabs: [], t0: -1 };
    sendStack[sendDepth] = rec;
  }
  sendDepth++;
  const key = log.rowKey(site, CH_PORT, SEND);
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
    if (n < 0 && log.wantsExact(key)) {
      n = clone.serializedSize(value, abs);
      rec.measured = n >= 0;
    }
    rec.n = n;
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
    if (rec.measured) log.noteExact(key, n);
    else if (n < 0) n = log.estimate(key);
    log.record(key, n, ns);
    if (n >= BIG) log.big(site, CH_PORT, SEND, n, ns);
    const moved = rec.moved;
    if (moved > 0) {
      log.record(log.rowKey(site, CH_TRANSFER, SEND), moved, -1);
      if (moved >= BIG) log.big(site, CH_TRANSFER, SEND, moved, 0);
    }
    const sabs = rec.sabs;
    for (let i = 0; i < sabs.length; i++) shared.sent(sabs[i], site);
  } catch {
    /* never fail the user's call after it succeeded */
  }
}

/** Counts one delivered message. Recv rows have site -1 (no user frame delivers a message). */
function received(ch, value, size) {
  const key = log.rowKey(-1, ch, RECV);
  if (typeof value === 'object' && value !== null && (ch !== CH_PORT || (!ArrayBuffer.isView(value) && !isAnyArrayBuffer(value))) && log.fastOk(key)) {
    log.recordLast(key);
    return;
  }
  let n = -1;
  if (ch === CH_PORT) {
    n = clone.cloneSize(value, null, false);
    const buf = clone.out.buf;
    if (buf !== null) {
      // The receiver cannot tell a moved buffer from a copied one; the sender published its moves.
      const moved = buf.byteLength;
      if (shared.claimMoved(moved)) {
        n = clone.cloneSize(value, [buf], false);
        log.record(log.rowKey(-1, CH_TRANSFER, RECV), moved, -1);
        if (moved >= BIG) log.big(-1, CH_TRANSFER, RECV, moved, 0);
      }
    }
  } else if (clone.out.sabs.length !== 0) {
    clone.out.sabs.length = 0;
  }
  if (n < 0 && log.wantsExact(key)) {
    n = size(value);
    if (n >= 0) log.noteExact(key, n);
  }
  if (n < 0) n = log.estimate(key);
  const sabs = clone.out.sabs;
  if (sabs.length !== 0) {
    for (let i = 0; i < sabs.length; i++) shared.received(sabs[i]);
    sabs.length = 0;
  }
  log.record(key, n, -1);
  if (n >= BIG) log.big(-1, ch, RECV, n, 0);
}

function cloneSizeExact(v) {
  return clone.serializedSize(v, null);
}

function portReceived(port, data) {
  let st = port[kStream];
  if (st !== undefined && !st.internal) {
    received(CH_PORT, data, cloneSizeExact);
    return;
  }
  if (st === undefined) {
    st = streamOf(port);
    // A port never posted on by this thread whose first message is one of Node's own.
    if (data !== null && typeof data === 'object' && typeof data.type === 'string' && INTERNAL_TYPES.has(data.type)) st.internal = true;
  }
  if (!st.internal) received(CH_PORT, data, cloneSizeExact);
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
    // Fast path: a plain object/array (no transfer list) whose row is already measured.
    if (transfer === undefined && typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !isAnyArrayBuffer(value)) {
      const key = log.rowKey(site, CH_PORT, SEND);
      if (log.fastOk(key)) {
        const r = Reflect.apply(origPost, this, arguments);
        log.recordLast(key);
        return r;
      }
    }
    const rec = beginSend(site, value, transfer);
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
      return Reflect.apply(origDispatch, this, arguments);
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
      log.record(key, n, -1);
      if (n >= BIG) log.big(site, CH_PORT, SEND, n, 0);
    }
    if (moved > 0) log.record(log.rowKey(site, CH_TRANSFER, SEND), moved, -1);
    if (sabs !== null) for (let i = 0; i < sabs.length; i++) shared.sent(sabs[i], site);
  } catch {
    /* ignore */
  }
  return r;
}

function countOwnWorkerData() {
  if (wt.isMainThread || wt.workerData === undefined) return;
  received(CH_PORT, wt.workerData, cloneSizeExact);
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
  if (cur.includes(preloadPath) && env.WMPROF_RUN_DIR === runDir) return options;
  return { ...options, env: { ...env, NODE_OPTIONS: withPreload(cur), WMPROF_RUN_DIR: runDir } };
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
      const rec = beginSend(site < 0 ? -1 : site, value, transferList);
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
        log.record(log.rowKey(site, CH_IPC, SEND), n, ns);
        if (n >= BIG) log.big(site, CH_IPC, SEND, n, ns);
      }
    } catch {
      /* ignore */
    }
    return r;
  };
  const origEmit = target.emit;
  target.emit = function emit(type, message) {
    if (type === 'message') {
      try {
        received(CH_IPC, message, sizeOf);
      } catch {
        /* ignore */
      }
    }
    return Reflect.apply(origEmit, this, arguments);
  };
}

module.exports = { install };
