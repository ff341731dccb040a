/** The session's narrow view of the memory sampler (src/core/memory), so the session stays small. */
import type { Capabilities, MemorySample } from "../protocol/profile";
import { MemorySampler } from "./memory";

export interface SamplerPort {
  /** Track a process the harness reported; false if it is gone (or beyond maxProcesses). */
  watch(pid: number): boolean;
  /** Already tracked: no need to watch() it again. */
  tracking(pid: number): boolean;
  trackShm(name: string): void;
  start(): void;
  /** One last full sample of everything still alive (smaps_rollup included), then stop. */
  finish(): void;
  onTick(cb: (tEpochMs: number, samples: Array<{ pid: number; ppid: number; sample: MemorySample }>) => void): void;
  /** Run fn about every everyMs on the sampler's own timer (one wake-up for both), from start() to finish(). */
  alongside(fn: () => void, everyMs: number): void;
  capabilities(): Pick<Capabilities, "pss" | "uss">;
  shmAttachments(): Map<string, number[]>;
}

export interface SamplerOptions {
  intervalMs?: number;
  maxProcesses?: number;
}

export function createSampler(opts: SamplerOptions): SamplerPort {
  // The model keeps (and downsamples) the series; the sampler need not hold them twice.
  const s = new MemorySampler({ intervalMs: opts.intervalMs, maxProcesses: opts.maxProcesses, keepSamples: false });
  return {
    watch: (pid) => s.watch(pid),
    tracking: (pid) => s.tracking(pid),
    trackShm: (name) => s.trackShm(name),
    start: () => s.start(),
    finish: () => {
      s.sampleOnce({ full: true });
      s.stop();
    },
    onTick: (cb) => void s.onTick(cb),
    alongside: (fn, everyMs) => s.alongside(fn, everyMs),
    capabilities: () => {
      const c = s.capabilities();
      return { pss: c.pss, uss: c.uss };
    },
    shmAttachments: () => s.shmAttachments(),
  };
}
