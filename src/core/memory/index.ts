/** Memory sampling, copy-on-write accounting and memory totals (no VS Code, no harness). */
export { adaptiveInterval, MemorySampler } from "./sampler";
export type {
  MemoryCapabilities, ProcessSeries, SampleOnceOptions, SamplerOptions, SamplerStats, SmapsState, TickSample, WatchInfo,
} from "./sampler";
export { computeMemoryTotals, sharedMemoryBytes, sumSeries } from "./totals";
export type { MemoryTotals, SumPoint, TotalsOptions } from "./totals";
export { analyzeCow, applyCow, attributeGc, cowAnalyses, findProcessAt, isForkChild } from "./cow";
export type { CowAnalysis, CowCause, CowPoint, GcAttribution } from "./cow";
export { mergeShmAttachments, shmKey } from "./shared";
export type { ProcFs } from "./procfs";
