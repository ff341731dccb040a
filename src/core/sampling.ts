/** The session's view of the memory sampler (src/core/memory), kept narrow so the session stays small. */
import type { Capabilities, MemorySample } from "../protocol/profile";

export interface SamplerPort {
  watch(pid: number): void;
  start(): void;
  stop(): void;
  onTick(cb: (tEpochMs: number, samples: Array<{ pid: number; ppid: number; sample: MemorySample }>) => void): void;
  capabilities(): Pick<Capabilities, "pss" | "uss">;
}

export interface SamplerOptions {
  intervalMs?: number;
  maxProcesses?: number;
}

// Temporary until src/core/memory lands: no memory samples.
export function createSampler(_opts: SamplerOptions): SamplerPort {
  return { watch() {}, start() {}, stop() {}, onTick() {}, capabilities: () => ({ pss: false, uss: false }) };
}
