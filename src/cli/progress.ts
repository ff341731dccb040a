/** A single self-rewriting status line on stderr, only when stderr is a terminal. */
import type { LiveStatus } from "../core/session";
import { formatBytes, formatDuration } from "../core/format";

export class ProgressLine {
  private shown = false;
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  update(s: LiveStatus): void {
    if (!this.enabled) return;
    const text = `wmprof ▸ ${formatDuration(s.elapsedMs)} · ${s.processes} process${s.processes === 1 ? "" : "es"} · ${formatBytes(s.bytesCopied)} copied`;
    this.stream.write(`\r\x1b[2K${text.slice(0, Math.max(20, (this.stream.columns ?? 80) - 1))}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.stream.write("\r\x1b[2K");
    this.shown = false;
  }
}
