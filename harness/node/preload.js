'use strict';
/*
 * wmprof harness for Node.js: loaded in every Node thread and process of a run through
 *   NODE_OPTIONS="--require <absolute path to this file> <the user's NODE_OPTIONS>"
 * Node applies NODE_OPTIONS to the main thread, to every Worker (also with `execArgv: []`),
 * to child_process.fork() and to spawn(process.execPath), and runs it before an ESM entry point.
 *
 * Inactive unless WMPROF_RUN_DIR is an absolute path: then nothing is hooked, nothing is written
 * and nothing in the process changes. Never writes to stdout or stderr. See docs/node.md.
 */
const runDir = process.env.WMPROF_RUN_DIR;

if (typeof runDir === 'string' && require('path').isAbsolute(runDir)) {
  const loaded = Symbol.for('wmprof.node.harness');
  // Guard against a second copy (the same preload reached through two paths, or --require twice).
  if (globalThis[loaded] === undefined) {
    Object.defineProperty(globalThis, loaded, { value: true, enumerable: false });
    try {
      require('./lib/hooks').install(runDir, __filename);
    } catch {
      // The harness must never break the user's program; a thread that cannot be instrumented
      // simply has no log (the sampler still sees its process from outside).
    }
  }
}
