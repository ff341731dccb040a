'use strict';
/*
 * Attribution: which line of the user's code sent a message.
 *
 * A structured stack capture (Error.captureStackTrace + a prepareStackTrace that returns the
 * CallSites, 8 frames) costs 1.5-4 us on the reference machine, 2-6 times a small postMessage
 * and about one small IPC send. So the rate of captures is bounded per thread:
 *  - a thread that makes at most CALLS_EXACT hook calls per 250 ms window (4,000/s) has every
 *    call captured: attribution is exact, and costs at most ~1.2 % of one core;
 *  - above that rate (decided at each window), or once a window has used CAPTURE_BUDGET
 *    captures, each stream (a port, an IPC channel) keeps the site of its last capture and
 *    recaptures on a randomised countdown that doubles, up to 1 in 256 calls, while captures
 *    keep finding the same site, and drops back to every call as soon as one finds another.
 * So a hot loop posting from one line is attributed exactly and cheaply; several lines posting
 * on one port in quick alternation are captured on (nearly) every call until the budget is
 * spent; a rare line among many calls from another line on the same port, at high rates, can be
 * counted at the other line. Sites are cached per file:line:function; ids are per thread log.
 */
const path = require('path');
const url = require('url');
const log = require('./log');

const DEPTH = 8;
const K_MAX = 256;
const CALLS_EXACT = 1000;
const CAPTURE_BUDGET = 1000;
const UNSET = -3;

const HARNESS_DIR = path.dirname(__dirname) + path.sep;

const siteIds = new Map();
let nextSite = 0;
let budget = CAPTURE_BUDGET;
let calls = 0;
/** The previous window had more than CALLS_EXACT calls: attribution is sampled. */
let sampled = false;
let exactAlways = false;

/** Set by capture(): the nearest frame with a file was Node's own code (node:internal/...). */
let callerInternal = false;
/** Set by capture(): the site it found (also when the caller was internal). */
let lastSite = -1;

const holder = {};
function callSites(_, cs) {
  return cs;
}

/** At every 250 ms tick. */
function resetBudget() {
  sampled = calls > CALLS_EXACT;
  calls = 0;
  budget = CAPTURE_BUDGET;
}

/** Returns the site id of the first user frame above `above` (-1: none). Sets callerInternal, lastSite. */
function capture(above) {
  lastSite = findSite(above);
  return lastSite;
}

function findSite(above) {
  budget--;
  callerInternal = false;
  let frames;
  const prevPrepare = Error.prepareStackTrace;
  const prevLimit = Error.stackTraceLimit;
  try {
    Error.prepareStackTrace = callSites;
    Error.stackTraceLimit = DEPTH;
    Error.captureStackTrace(holder, above);
    frames = holder.stack;
  } catch {
    frames = undefined;
  } finally {
    Error.prepareStackTrace = prevPrepare;
    Error.stackTraceLimit = prevLimit;
  }
  holder.stack = undefined;
  if (!Array.isArray(frames)) return -1;
  let first = true;
  let fallback = null;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    let file;
    try {
      file = f.getFileName();
    } catch {
      file = undefined;
    }
    if (typeof file !== 'string' || file === '') continue; // native frames
    if (file.startsWith('node:')) {
      // Worker.prototype.postMessage and BroadcastChannel.prototype.postMessage are JS methods
      // in node:internal/worker(/io) that forward to a MessagePort: the user's call is below.
      if (first && !(f.getFunctionName() === 'postMessage' && (file === 'node:internal/worker' || file === 'node:internal/worker/io'))) {
        callerInternal = true;
      }
      first = false;
      continue;
    }
    first = false;
    if (file.startsWith(HARNESS_DIR)) continue;
    if (file.includes('/node_modules/') || file.includes('\\node_modules\\')) {
      if (fallback === null) fallback = f;
      continue;
    }
    return siteOf(f, file);
  }
  return fallback === null ? -1 : siteOf(fallback, fallback.getFileName());
}

function siteOf(f, file) {
  const lineNo = f.getLineNumber() || 0;
  let fn = f.getFunctionName();
  if (!fn) {
    // Top-level code of a CommonJS or ES module runs in a function that starts at 1:1.
    fn = f.getEnclosingLineNumber && f.getEnclosingLineNumber() === 1 && f.getEnclosingColumnNumber() === 1
      ? '<module>' : '<anonymous>';
  }
  const key = `${file}\0${lineNo}\0${fn}`;
  let id = siteIds.get(key);
  if (id === undefined) {
    id = nextSite++;
    siteIds.set(key, id);
    let shown = file;
    if (file.startsWith('file://')) {
      try {
        shown = url.fileURLToPath(file);
      } catch {
        /* keep the URL */
      }
    }
    log.siteLine(id, shown, lineNo, fn);
  }
  return id;
}

/** Per-stream attribution state. */
function newStream() {
  return { site: UNSET, k: 1, countdown: 0, internal: false, send: null, recv: null };
}

/**
 * The site for one call on stream `st` (capturing if due). Returns -2 when the caller is Node's
 * own code (internal traffic) at a capture; the stream is then marked internal by the caller.
 */
function site(st, above) {
  calls++;
  if ((sampled || budget <= 0) && !exactAlways) {
    if (--st.countdown > 0) return st.site;
    if (budget <= 0 && st.site !== UNSET) {
      st.countdown = st.k;
      return st.site;
    }
  }
  const s = capture(above);
  if (callerInternal) return -2;
  if (s === st.site) {
    if (st.k < K_MAX) st.k *= 2;
  } else {
    st.k = 1;
    st.site = s;
  }
  // Uniform in [k/2, 3k/2): no aliasing with periodic call patterns.
  st.countdown = st.k === 1 ? 1 : (st.k >> 1) + (log.rand() % st.k);
  return s;
}

function setExactAlways(v) {
  exactAlways = v;
}

module.exports = {
  capture, site, newStream, resetBudget, setExactAlways,
  get callerInternal() {
    return callerInternal;
  },
  get lastSite() {
    return lastSite;
  },
};
