'use strict';
/*
 * Message sizes.
 *
 * Structured clone (postMessage): the size is the length of what a v8.Serializer writes for the
 * value, with transferArrayBuffer() for every ArrayBuffer of the transfer list, i.e. the bytes
 * Node's postMessage serializes and the receiver deserializes (header included). Computed in
 * O(1), exactly, for strings, numbers, booleans, null/undefined, ArrayBuffer, SharedArrayBuffer,
 * every TypedArray/DataView/Buffer (a view copies its WHOLE underlying buffer, e.g. the 8 KiB
 * pool behind a small Buffer). Any other value is serialized for real, with a v8.Serializer,
 * only when log.wantsExact() says so (see there: the first 8 messages of each row, then a random
 * sample); the others are counted at the size last measured for that row.
 * Transferred ArrayBuffers are moved, not copied: their bytes are returned in `moved` and not in
 * the copy size. SharedArrayBuffers found on the way are returned in `sabs` (shared, never copied).
 *
 * JSON (child_process IPC, default serialization): Buffer.byteLength(JSON.stringify(m)) + 1.
 */
const v8 = require('v8');
const { isAnyArrayBuffer, isArrayBuffer, isSharedArrayBuffer } = require('util').types;

const HEADER = 2; // 0xFF, version 15

/**
 * Outputs of the last call (no allocation per message): `moved` (transferred() bytes), `sabs`
 * (SharedArrayBuffers met), `buf` (the non-shared ArrayBuffer a value is or views, else null).
 */
const out = { moved: 0, sabs: [], buf: null };

function varint(n) {
  let s = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    s++;
  }
  return s;
}

/** Transfer list (array, or {transfer: array}) -> ArrayBuffers in it, or null. Sets out.moved. */
function transferred(transfer) {
  out.moved = 0;
  if (transfer === undefined || transfer === null) return null;
  const list = Array.isArray(transfer) ? transfer : (typeof transfer === 'object' && Array.isArray(transfer.transfer) ? transfer.transfer : null);
  if (list === null || list.length === 0) return null;
  let abs = null;
  for (let i = 0; i < list.length; i++) {
    // (MessagePorts and other transferables move no bytes.)
    const x = list[i];
    if (isArrayBuffer(x) && (abs === null || abs.indexOf(x) < 0)) {
      if (abs === null) abs = [];
      abs.push(x);
      out.moved += x.byteLength;
    }
  }
  return abs;
}

function abBody(ab, abs) {
  const i = abs === null ? -1 : abs.indexOf(ab);
  if (i >= 0) return 1 + varint(i);
  const n = ab.byteLength;
  if (ab.resizable === true) return 1 + varint(n) + varint(ab.maxByteLength) + n;
  return 1 + varint(n) + n;
}

function stringBody(s, offset) {
  const n = s.length;
  // ASCII is stored one byte per char; Latin-1 too (checked only when non-ASCII is present).
  if (Buffer.byteLength(s, 'utf8') === n || !/[^\x00-\xff]/.test(s)) return 1 + varint(n) + n;
  const b = 2 * n;
  const pad = (offset + 1 + varint(b)) & 1; // two-byte strings are 2-aligned
  return pad + 1 + varint(b) + b;
}

/**
 * Structured-clone size of `value`, or -1 when it was not measured (complex value, not sampled)
 * or cannot be cloned. `abs` from transferred(). `exact`: measure complex values.
 */
function cloneSize(value, abs, exact) {
  if (out.sabs.length !== 0) out.sabs.length = 0; // (an unconditional length write costs ~200 ns)
  out.buf = null;
  switch (typeof value) {
    case 'string':
      return HEADER + stringBody(value, HEADER);
    case 'number':
      if (Number.isInteger(value) && value >= -2147483648 && value <= 2147483647 && !Object.is(value, -0)) {
        return HEADER + 1 + varint(value >= 0 ? value * 2 : -value * 2 - 1);
      }
      return HEADER + 9;
    case 'boolean':
    case 'undefined':
      return HEADER + 1;
    case 'object':
      if (value === null) return HEADER + 1;
      // Cheapest tests first: isView is inlined by V8, isAnyArrayBuffer is one native call.
      if (ArrayBuffer.isView(value)) {
        const buf = value.buffer;
        let body;
        if (isSharedArrayBuffer(buf)) {
          out.sabs.push(buf);
          body = 1 + varint(0);
        } else {
          out.buf = buf;
          body = abBody(buf, abs);
        }
        return HEADER + body + 3 + varint(value.byteOffset) + varint(value.byteLength);
      }
      if (isAnyArrayBuffer(value)) {
        if (isSharedArrayBuffer(value)) {
          out.sabs.push(value);
          return HEADER + 1 + varint(0);
        }
        out.buf = value;
        return HEADER + abBody(value, abs);
      }
      break;
    default:
      break;
  }
  if (!exact) return -1;
  return serializedSize(value, abs);
}

/**
 * The non-shared ArrayBuffers directly inside a received object: the value itself, or its own
 * properties / first elements one level down (at most 16 looked at). Used only while transfers
 * are in flight, to tell moved buffers inside a message from copied ones.
 */
function buffersIn(value) {
  const found = [];
  const add = (v) => {
    if (v === null || typeof v !== 'object') return;
    const b = ArrayBuffer.isView(v) ? v.buffer : v;
    if (isArrayBuffer(b) && found.indexOf(b) < 0) found.push(b);
  };
  add(value);
  if (found.length === 0 && value !== null && typeof value === 'object') {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length && i < 16; i++) add(value[i]);
    } else if (!ArrayBuffer.isView(value) && !isAnyArrayBuffer(value)) {
      let i = 0;
      for (const k in value) {
        if (i++ >= 16) break;
        if (Object.prototype.hasOwnProperty.call(value, k)) add(value[k]);
      }
    }
  }
  return found;
}

/** A v8.Serializer that accepts SharedArrayBuffers (collected in out.sabs) and host objects. */
class SizeSerializer extends v8.Serializer {
  _getSharedArrayBufferId(sab) {
    let i = out.sabs.indexOf(sab);
    if (i < 0) i = out.sabs.push(sab) - 1;
    return i;
  }

  _writeHostObject() {
    // MessagePort and other Node host objects: Node writes a small index for them.
    this.writeUint32(0);
    return true;
  }
}

/** Exact v8 structured-clone size, or -1 when the value cannot be cloned. */
function serializedSize(value, abs) {
  if (out.sabs.length !== 0) out.sabs.length = 0;
  try {
    const ser = new SizeSerializer();
    if (abs !== null) for (let i = 0; i < abs.length; i++) ser.transferArrayBuffer(i, abs[i]);
    ser.writeHeader();
    ser.writeValue(value);
    return ser.releaseBuffer().length;
  } catch {
    return -1;
  }
}

/** Exact v8 size of an IPC message under serialization: 'advanced' (without the 4-byte length). */
function advancedSize(value) {
  if (out.sabs.length !== 0) out.sabs.length = 0;
  try {
    const ser = new v8.DefaultSerializer();
    ser.writeHeader();
    ser.writeValue(value);
    return ser.releaseBuffer().length;
  } catch {
    return -1;
  }
}

/** JSON IPC size: the line Node writes, newline included. -1 when not serializable. */
function jsonSize(value) {
  try {
    const s = JSON.stringify(value);
    return s === undefined ? -1 : Buffer.byteLength(s) + 1;
  } catch {
    return -1;
  }
}

module.exports = { out, transferred, buffersIn, cloneSize, serializedSize, advancedSize, jsonSize };
