/**
 * Splits a byte stream into lines. Chunks may end anywhere, including inside a multi-byte UTF-8
 * character, so we buffer bytes, not strings. A line longer than `maxLineBytes` is dropped whole
 * (counted, never fatal) and we resynchronise at the next newline, so memory stays bounded.
 */
export class LineDecoder {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private skipping = false;
  oversizedLines = 0;

  constructor(private readonly maxLineBytes = 16 * 1024 * 1024) {}

  /** Feeds a chunk; returns the complete lines it finished (without the newline). */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      this.take(chunk.subarray(start, nl));
      if (this.skipping) {
        this.skipping = false;
      } else {
        const line = this.parts.length === 1 ? this.parts[0]!.toString("utf8") : Buffer.concat(this.parts).toString("utf8");
        lines.push(line);
      }
      this.parts = [];
      this.partBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
    return lines;
  }

  /** The unterminated tail, if any (a process killed mid-write leaves one). */
  flush(): string | null {
    if (this.skipping || this.partBytes === 0) {
      this.parts = [];
      this.partBytes = 0;
      this.skipping = false;
      return null;
    }
    const line = Buffer.concat(this.parts).toString("utf8");
    this.parts = [];
    this.partBytes = 0;
    return line;
  }

  private take(piece: Buffer): void {
    if (this.skipping || piece.length === 0) return;
    if (this.partBytes + piece.length > this.maxLineBytes) {
      this.skipping = true;
      this.oversizedLines++;
      this.parts = [];
      this.partBytes = 0;
      return;
    }
    // Copy: the caller may reuse its read buffer.
    this.parts.push(Buffer.from(piece));
    this.partBytes += piece.length;
  }
}
