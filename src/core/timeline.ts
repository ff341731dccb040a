/**
 * Bytes-over-time per channel in fixed-width buckets that widen as the run grows, so a run of any
 * length holds at most `maxBuckets` numbers per channel (memory stays bounded for long runs).
 */
import type { Channel } from "../protocol/events";
import type { CopyTimeline } from "../protocol/profile";

export class CopyTimelineBuilder {
  private bucketMs: number;
  private readonly series = new Map<Channel, number[]>();
  private length = 0;

  constructor(private readonly startMs: number, initialBucketMs = 100, private readonly maxBuckets = 2000) {
    this.bucketMs = initialBucketMs;
  }

  add(tEpochMs: number, channel: Channel, bytes: number): void {
    if (bytes <= 0) return;
    const rel = Math.max(0, tEpochMs - this.startMs);
    let idx = Math.floor(rel / this.bucketMs);
    while (idx >= this.maxBuckets) {
      this.widen();
      idx = Math.floor(rel / this.bucketMs);
    }
    let s = this.series.get(channel);
    if (!s) {
      s = [];
      this.series.set(channel, s);
    }
    while (s.length <= idx) s.push(0);
    s[idx]! += bytes;
    if (idx + 1 > this.length) this.length = idx + 1;
  }

  /** Doubles the bucket width, merging neighbours. */
  private widen(): void {
    this.bucketMs *= 2;
    for (const [ch, s] of this.series) {
      const merged: number[] = [];
      for (let i = 0; i < s.length; i += 2) merged.push(s[i]! + (s[i + 1] ?? 0));
      this.series.set(ch, merged);
    }
    this.length = Math.ceil(this.length / 2);
  }

  build(): CopyTimeline {
    const t: number[] = [];
    for (let i = 0; i < this.length; i++) t.push(i * this.bucketMs);
    const bytes: CopyTimeline["bytes"] = {};
    for (const [ch, s] of this.series) {
      const padded = s.slice();
      while (padded.length < this.length) padded.push(0);
      bytes[ch] = padded;
    }
    return { bucketMs: this.bucketMs, t, bytes };
  }
}
