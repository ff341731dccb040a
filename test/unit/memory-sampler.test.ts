/**
 * MemorySampler against a fake /proc tree (a folder): kernels without smaps_rollup, statm-only
 * processes, discovery by ppid scan, pid reuse, zombies, permission errors, processes vanishing,
 * carry-forward of smaps figures, the smaps schedule, decimation, and the macOS `ps` path.
 * Real /proc is exercised in test/harness/memory-*.test.ts.
 */
import { mock, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adaptiveInterval, MemorySampler, type SamplerOptions } from "../../src/core/memory/sampler";
import { nodeProcFs, type ProcFs } from "../../src/core/memory/procfs";

const KiB = 1024;
const MiB = 1024 * 1024;

interface FakeProcess {
  ppid: number;
  state?: string;
  starttime?: number;
  minflt?: number;
  majflt?: number;
  /** kB */
  rss: number;
  anon?: number;
  hwm?: number;
  /** smaps_rollup figures in kB; absent = no smaps_rollup file (old kernel). */
  smaps?: { rss?: number; pss: number; pssAnon?: number; pssShmem?: number; sc: number; sd: number; pc: number; pd: number; swap?: number };
  /** false: no status file (statm only) */
  status?: boolean;
  statm?: [resident: number, shared: number];
}

class FakeProcTree {
  readonly root = mkdtempSync(join(tmpdir(), "wmprof-fakeproc-"));
  readonly procs = new Map<number, FakeProcess>();
  /** pids whose files answer ESRCH (process gone, kernel side) */
  readonly dead = new Set<number>();
  /** paths answering EACCES */
  readonly denied = new Set<string>();

  set(pid: number, p: FakeProcess): void {
    this.procs.set(pid, p);
    const dir = join(this.root, String(pid));
    mkdirSync(dir, { recursive: true });
    const st = p.state ?? "S";
    const rssPages = Math.round(p.rss / 4);
    writeFileSync(
      join(dir, "stat"),
      `${pid} (python3) ${st} ${p.ppid} ${pid} ${pid} 0 -1 4194304 ${p.minflt ?? 100} 0 ${p.majflt ?? 0} 0 1 1 0 0 20 0 1 0 ` +
        `${p.starttime ?? 1000 + pid} 226697216 ${rssPages} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0\n`,
    );
    if (p.status !== false) {
      const vm = st === "Z" ? "" : `VmHWM:\t${p.hwm ?? p.rss} kB\nVmRSS:\t${p.rss} kB\nRssAnon:\t${p.anon ?? p.rss} kB\nRssFile:\t0 kB\nRssShmem:\t0 kB\n`;
      writeFileSync(join(dir, "status"), `Name:\tpython3\nState:\t${st}\nPPid:\t${p.ppid}\n${vm}Threads:\t1\n`);
    } else rmSync(join(dir, "status"), { force: true });
    const [res, shared] = p.statm ?? [rssPages, Math.round((p.rss - (p.anon ?? p.rss)) / 4)];
    writeFileSync(join(dir, "statm"), `9999 ${res} ${shared} 1 0 100 0\n`);
    if (p.smaps) {
      const s = p.smaps;
      writeFileSync(
        join(dir, "smaps_rollup"),
        `00400000-7fff00000000 ---p 00000000 00:00 0  [rollup]\nRss: ${s.rss ?? p.rss} kB\nPss: ${s.pss} kB\n` +
          (s.pssAnon !== undefined ? `Pss_Anon: ${s.pssAnon} kB\n` : "") +
          `Pss_Shmem: ${s.pssShmem ?? 0} kB\nShared_Clean: ${s.sc} kB\nShared_Dirty: ${s.sd} kB\n` +
          `Private_Clean: ${s.pc} kB\nPrivate_Dirty: ${s.pd} kB\nSwap: ${s.swap ?? 0} kB\n`,
      );
    } else rmSync(join(dir, "smaps_rollup"), { force: true });
  }

  update(pid: number, patch: Partial<FakeProcess>): void {
    const p = this.procs.get(pid);
    assert.ok(p);
    this.set(pid, { ...p, ...patch });
  }

  /** A ProcFs over the folder that answers ESRCH for dead pids and EACCES for denied paths. */
  fs(): ProcFs & { opens: string[] } {
    const opens: string[] = [];
    const pidOf = (path: string): number => Number(path.slice(this.root.length + 1).split("/")[0]);
    const fds = new Map<number, number>();
    const check = (path: string): void => {
      if (this.denied.has(path)) throw Object.assign(new Error(`EACCES: ${path}`), { code: "EACCES" });
      if (this.dead.has(pidOf(path))) throw Object.assign(new Error(`ESRCH: ${path}`), { code: "ESRCH" });
    };
    return {
      opens,
      open: (path) => {
        check(path);
        opens.push(path.slice(this.root.length));
        const fd = nodeProcFs.open(path);
        fds.set(fd, pidOf(path));
        return fd;
      },
      read: (fd, buf, offset, length, position) => {
        if (this.dead.has(fds.get(fd) ?? -1)) throw Object.assign(new Error("ESRCH"), { code: "ESRCH" });
        return nodeProcFs.read(fd, buf, offset, length, position);
      },
      close: (fd) => {
        fds.delete(fd);
        nodeProcFs.close(fd);
      },
      readdir: (path) => nodeProcFs.readdir(path).filter((n) => !this.dead.has(Number(n))),
    };
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

function sampler(tree: FakeProcTree, extra: SamplerOptions = {}) {
  let t = 1_700_000_000_000;
  let clock = 0;
  const fs = tree.fs();
  const s = new MemorySampler({ procRoot: tree.root, platform: "linux", fs, now: () => t, clock: () => clock, pageSize: 4096, ...extra });
  return {
    s,
    fs,
    /** advance both clocks and take one sample */
    tick(ms = 50, full = false) {
      t += ms;
      clock += ms;
      s.sampleOnce({ full });
    },
  };
}

function only<T>(xs: T[]): T {
  assert.equal(xs.length, 1);
  return xs[0] as T;
}

test("a kernel without smaps_rollup: RSS from status, PSS/USS null (not 0), capabilities say so", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 2048, anon: 1024 });
    const { s, tick } = sampler(tree);
    assert.equal(s.watch(100), true);
    tick();
    tick(50, true);
    const series = only(s.series());
    assert.equal(series.smaps, "unsupported");
    assert.equal(series.samples.length, 2);
    for (const x of series.samples) {
      assert.equal(x.rss, 2048 * KiB);
      assert.equal(x.anon, 1024 * KiB);
      assert.equal(x.pss, null);
      assert.equal(x.uss, null);
      assert.equal(x.privateDirty, null);
      assert.equal(x.minflt, 100);
    }
    assert.deepEqual(s.capabilities(), { platform: "linux", pss: false, uss: false, rss: true, source: "status" });
    assert.equal(s.stats().smapsReads, 0);
    assert.deepEqual(s.peakSums(), { pss: null, rss: 2048 * KiB });
  } finally {
    tree.cleanup();
  }
});

test("no status file: RSS from statm (resident pages, anon = resident − shared)", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 400, status: false, statm: [100, 30] });
    const { s, tick } = sampler(tree);
    s.watch(100);
    tick();
    const x = only(only(s.series()).samples);
    assert.equal(x.rss, 100 * 4096);
    assert.equal(x.anon, 70 * 4096);
    assert.equal(x.pss, null);
  } finally {
    tree.cleanup();
  }
});

test("smaps_rollup figures: PSS, USS = Private_Clean + Private_Dirty, carried forward between reads", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 10_000, smaps: { pss: 8000, pssShmem: 100, sc: 3000, sd: 1000, pc: 2000, pd: 4000, swap: 5 } });
    const { s, tick } = sampler(tree, { estimate: false });
    s.watch(100);
    tick();
    // the smaps file changes, and so does RSS, but the next tick comes 5 ms later: too soon to re-read
    tree.update(100, { rss: 10_100, minflt: 200, smaps: { pss: 9000, sc: 3000, sd: 1000, pc: 2000, pd: 5000 } });
    tick(5);
    const [a, b] = only(s.series()).samples;
    assert.ok(a && b);
    assert.equal(a.pss, 8000 * KiB);
    assert.equal(a.uss, 6000 * KiB);
    assert.equal(a.privateDirty, 4000 * KiB);
    assert.equal(a.sharedClean, 3000 * KiB);
    assert.equal(a.sharedDirty, 1000 * KiB);
    assert.equal(a.pssShmem, 100 * KiB);
    assert.equal(a.swap, 5 * KiB);
    assert.equal(b.rss, 10_100 * KiB, "status is read every tick");
    assert.equal(b.minflt, 200, "stat is read every tick");
    assert.equal(b.pss, 8000 * KiB, "smaps figures carried forward, not zeroed");
    assert.equal(b.privateDirty, 4000 * KiB);
    assert.equal(s.stats().smapsReads, 1);
    tick(100);
    const c = only(s.series()).samples[2];
    assert.equal(c?.pss, 9000 * KiB, "re-read once due and something changed");
    assert.equal(only(s.series()).peak.pss, 9000 * KiB);
    assert.deepEqual(s.capabilities(), { platform: "linux", pss: true, uss: true, rss: true, source: "smaps_rollup" });
  } finally {
    tree.cleanup();
  }
});

test("carried-forward figures never exceed the current RSS", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 200_000, smaps: { pss: 190_000, sc: 1000, sd: 0, pc: 0, pd: 190_000 } });
    for (const estimate of [false, true]) {
      const { s, tick } = sampler(tree, { estimate });
      s.watch(100);
      tick();
      tree.update(100, { rss: 10_000 }); // freed most of it; smaps not re-read yet (5 ms later)
      tick(5);
      const last = only(s.series()).samples[1];
      assert.equal(last?.rss, 10_000 * KiB);
      assert.ok((last?.pss ?? Infinity) <= 10_000 * KiB, `estimate ${estimate}`);
      assert.ok((last?.privateDirty ?? Infinity) <= 10_000 * KiB);
      s.stop();
      tree.update(100, { rss: 200_000 });
    }
  } finally {
    tree.cleanup();
  }
});

test("between smaps reads, copy-on-write faults and RssAnon move the carried figures", () => {
  const tree = new FakeProcTree();
  try {
    // a fork child sharing 100 MB with its parent (n = 2: PSS counts half of it)
    const smaps = { rss: 102_400 + 1024, pss: 51_200 + 1024, sc: 0, sd: 102_400, pc: 0, pd: 1024 };
    tree.set(101, { ppid: 1, rss: 103_424, anon: 103_424, minflt: 1000, smaps });
    const { s, tick } = sampler(tree);
    s.watch(101);
    tick();
    // it reads the data: 10,000 faults (40 MB of pages copied), RSS unchanged
    tree.update(101, { minflt: 11_000 });
    tick(5);
    // then allocates 20 MB of its own: 5,120 more faults, RSS and RssAnon + 20 MB
    tree.update(101, { minflt: 16_120, rss: 103_424 + 20_480, anon: 103_424 + 20_480 });
    tick(5);
    const [, a, b] = only(s.series()).samples;
    assert.ok(a && b);
    assert.equal(a.privateDirty, (1024 + 40_000) * KiB, "1 page private per copy-on-write fault");
    assert.equal(a.sharedDirty, (102_400 - 40_000) * KiB);
    assert.equal(a.pss, (51_200 + 1024 + 20_000) * KiB, "each copied page was counted ½, now 1");
    assert.equal(b.privateDirty, (1024 + 40_000 + 20_480) * KiB, "own allocations are private dirty too");
    assert.equal(b.pss, (51_200 + 1024 + 20_000 + 20_480) * KiB);
    assert.equal(b.uss, b.privateDirty);
    // never more copies than there were shared pages
    tree.update(101, { minflt: 500_000 });
    tick(5);
    assert.equal(only(s.series()).samples[3]?.sharedDirty, 0);
    // a real read replaces the estimate
    tree.update(101, { smaps: { ...smaps, pd: 60_000, sd: 40_000, pss: 90_000 } });
    tick(5, true);
    assert.equal(only(s.series()).samples[4]?.privateDirty, 60_000 * KiB);
  } finally {
    tree.cleanup();
  }
});

test("a parent that forks is re-read at once, whatever the smaps budget says", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 1000, smaps: { pss: 900, sc: 0, sd: 0, pc: 0, pd: 900 } });
    const { s, tick } = sampler(tree, { smapsBudget: 0 });
    s.watch(100);
    tick();
    tree.update(100, { minflt: 500 });
    tick(1000);
    assert.equal(s.stats().smapsReads, 1, "no budget: no re-read");
    tree.set(101, { ppid: 100, rss: 1000, smaps: { pss: 500, sc: 0, sd: 900, pc: 0, pd: 100 } });
    tree.update(100, { smaps: { pss: 500, sc: 0, sd: 900, pc: 0, pd: 0 } });
    tick(1000);
    assert.equal(s.stats().smapsReads, 3, "the child's first read and the parent's re-read");
    assert.equal(s.seriesByPid().get(100)?.samples.at(-1)?.privateDirty, 0);
  } finally {
    tree.cleanup();
  }
});

test("smaps schedule: unchanged trees are not re-read until smapsMaxAgeMs; changes are", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 1000, smaps: { pss: 900, sc: 0, sd: 0, pc: 0, pd: 900 } });
    tree.set(101, { ppid: 100, rss: 1000, smaps: { pss: 900, sc: 0, sd: 0, pc: 0, pd: 900 } });
    const { s, tick } = sampler(tree, { smapsMaxAgeMs: 5000 });
    s.watch(100);
    tick();
    assert.equal(s.stats().smapsReads, 2, "first reads of both");
    for (let i = 0; i < 20; i++) tick(200); // 4 s, nothing changes
    assert.equal(s.stats().smapsReads, 2);
    tree.update(101, { minflt: 5000 }); // a child faults: PSS of both can change
    // quiet for 20 ticks, the child's stat is read every 4th tick only: its fault is seen within 4
    for (let i = 0; i < 4 && s.stats().smapsReads === 2; i++) tick(200);
    assert.equal(s.stats().smapsReads, 4);
    for (let i = 0; i < 30; i++) tick(200); // 6 s more: the max age forces one re-read each
    assert.equal(s.stats().smapsReads, 6);
  } finally {
    tree.cleanup();
  }
});

test("smaps budget: a busy tree gets at most smapsBudget of the clock for smaps reads", () => {
  const tree = new FakeProcTree();
  try {
    for (let i = 0; i < 10; i++) tree.set(200 + i, { ppid: 1, rss: 1000, smaps: { pss: 900, sc: 0, sd: 0, pc: 0, pd: 900 } });
    // every smaps read "costs" 10 ms on the injected clock
    let clock = 0;
    const fs = tree.fs();
    const costly: ProcFs = {
      ...fs,
      open: (path) => {
        if (path.endsWith("smaps_rollup")) clock += 10;
        return fs.open(path);
      },
    };
    const s = new MemorySampler({ procRoot: tree.root, platform: "linux", fs: costly, clock: () => clock, smapsBudget: 0.01, discover: false });
    for (let i = 0; i < 10; i++) s.watch(200 + i);
    let minflt = 100;
    const start = clock;
    for (let i = 0; i < 1000; i++) {
      minflt++;
      tree.update(200 + (i % 10), { minflt }); // always something changing
      clock += 50;
      s.sampleOnce();
    }
    const elapsed = clock - start;
    const spent = s.stats().smapsReads * 10;
    // 10 first reads are free of the budget; after that ≤ 1 % of the clock (+ one burst)
    assert.ok(spent <= 100 + 0.01 * elapsed + 50 + 10, `spent ${spent} ms of ${elapsed}`);
    assert.ok(s.stats().smapsReads > 10, "but it does re-read");
    // per process: never more often than 100 × its 10 ms cost = 1 s
    const reads = fs.opens.filter((p) => p.endsWith("smaps_rollup"));
    assert.ok(reads.length === s.stats().smapsReads);
  } finally {
    tree.cleanup();
  }
});

test("descendants found by scanning ppids when there are no children files; strangers ignored", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 1000 });
    tree.set(101, { ppid: 100, rss: 1000 });
    tree.set(102, { ppid: 101, rss: 1000 }); // grandchild
    tree.set(200, { ppid: 1, rss: 1000 }); // unrelated
    const { s, tick } = sampler(tree);
    const seen: number[] = [];
    s.onProcess((x) => seen.push(x.pid));
    s.watch(100, { role: "main", startMethod: null, name: "MainProcess" });
    tick();
    assert.deepEqual(seen.sort(), [100, 101, 102]);
    const by = s.seriesByPid();
    assert.equal(by.get(101)?.ppid, 100);
    assert.equal(by.get(102)?.ppid, 101);
    assert.equal(by.get(101)?.watched, false);
    assert.equal(by.get(100)?.info.role, "main");
    assert.equal(by.get(100)?.samples.length, 1);
    assert.equal(by.get(102)?.samples.length, 1, "sampled in the tick that found it");
    // a later watch() of a discovered process marks it watched and keeps its series
    s.watch(101, { role: "worker", startMethod: "fork", name: "ForkPoolWorker-1" });
    tick();
    assert.equal(s.seriesByPid().get(101)?.watched, true);
    assert.equal(s.seriesByPid().get(101)?.samples.length, 2);
    assert.equal(s.series().length, 3);
  } finally {
    tree.cleanup();
  }
});

test("descendants found through /proc/<pid>/task/<tid>/children when the kernel has them", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 1000 });
    tree.set(101, { ppid: 100, rss: 1000 });
    tree.set(200, { ppid: 100, rss: 1000 }); // listed nowhere: the children file is authoritative
    mkdirSync(join(tree.root, "100/task/100"), { recursive: true });
    mkdirSync(join(tree.root, "101/task/101"), { recursive: true });
    writeFileSync(join(tree.root, "100/task/100/children"), "101 ");
    writeFileSync(join(tree.root, "101/task/101/children"), "");
    const { s, tick } = sampler(tree);
    s.watch(100);
    tick();
    assert.deepEqual(s.series().map((x) => x.pid).sort(), [100, 101]);
  } finally {
    tree.cleanup();
  }
});

test("a process that vanishes, a zombie and a permission error do not crash or corrupt the series", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 1000, smaps: { pss: 900, sc: 0, sd: 0, pc: 0, pd: 900 } });
    tree.set(101, { ppid: 100, rss: 2000, smaps: { pss: 1900, sc: 0, sd: 0, pc: 0, pd: 1900 } });
    tree.set(102, { ppid: 100, rss: 3000, smaps: { pss: 2900, sc: 0, sd: 0, pc: 0, pd: 2900 } });
    tree.set(103, { ppid: 100, rss: 4000, smaps: { pss: 3900, sc: 0, sd: 0, pc: 0, pd: 3900 } });
    tree.denied.add(join(tree.root, "103/smaps_rollup"));
    const { s, tick } = sampler(tree);
    const exits: number[] = [];
    s.onExit((x) => exits.push(x.pid));
    s.watch(100);
    tick();
    tree.dead.add(101); // gone between ticks (ESRCH on the open descriptor)
    tree.update(102, { state: "Z" }); // a zombie: no memory, no smaps
    tick();
    tick();
    assert.deepEqual(exits.sort(), [101, 102]);
    const by = s.seriesByPid();
    assert.equal(by.get(101)?.samples.length, 1);
    assert.equal(by.get(101)?.exitedAt, 1_700_000_000_000 + 100);
    assert.equal(by.get(102)?.samples.length, 1);
    assert.ok(by.get(102)?.samples.every((x) => x.rss > 0), "no zero sample for the zombie");
    assert.equal(by.get(103)?.smaps, "denied");
    assert.equal(by.get(103)?.samples.length, 3);
    assert.ok(by.get(103)?.samples.every((x) => x.pss === null && x.rss === 4000 * KiB));
    assert.equal(by.get(100)?.samples.length, 3);
    assert.equal(s.stats().errors, 0);
    assert.equal(s.capabilities().pss, true, "one denied process does not turn PSS off");
  } finally {
    tree.cleanup();
  }
});

test("pid reuse: a new starttime under the same pid ends the old series and starts a new one", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 1000 });
    tree.set(101, { ppid: 100, rss: 5000, starttime: 5000 });
    const { s, tick } = sampler(tree);
    s.watch(100);
    tick();
    tree.update(101, { starttime: 6000, rss: 700 }); // pid 101 exited and was reused by a new child of 100
    tick();
    const all = s.series().filter((x) => x.pid === 101);
    assert.equal(all.length, 2);
    const [old, cur] = all;
    assert.ok(old && cur);
    assert.equal(old.startTime, 5000);
    assert.notEqual(old.exitedAt, null);
    assert.deepEqual(old.samples.map((x) => x.rss), [5000 * KiB]);
    assert.equal(cur.startTime, 6000);
    assert.deepEqual(cur.samples.map((x) => x.rss), [700 * KiB]);
    assert.equal(old.peak.rss, 5000 * KiB);
    assert.equal(cur.peak.rss, 700 * KiB);
    // watch() of a pid whose process changed since: new series too
    tree.update(100, { starttime: 9999 });
    s.watch(100, { role: "main" });
    assert.equal(s.series().filter((x) => x.pid === 100).length, 2);
  } finally {
    tree.cleanup();
  }
});

test("watch() of a process that is already gone returns false and adds no series", () => {
  const tree = new FakeProcTree();
  try {
    const { s } = sampler(tree);
    assert.equal(s.watch(4242), false);
    assert.equal(s.series().length, 0);
  } finally {
    tree.cleanup();
  }
});

test("samples share one t per tick; peaks, peak sums and VmHWM", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 1000, hwm: 9000, smaps: { pss: 800, sc: 0, sd: 0, pc: 0, pd: 800 } });
    tree.set(101, { ppid: 100, rss: 2000, smaps: { pss: 1000, sc: 0, sd: 0, pc: 0, pd: 1000 } });
    const { s, tick } = sampler(tree);
    const got: [number, number, number][] = [];
    s.onSample((pid, ppid, x) => got.push([pid, ppid, x.t]));
    s.watch(100);
    tick(50, true);
    tree.update(101, { rss: 3000, smaps: { pss: 2500, sc: 0, sd: 0, pc: 0, pd: 2500 } });
    tick(50, true);
    tree.update(101, { rss: 1500, smaps: { pss: 1000, sc: 0, sd: 0, pc: 0, pd: 1000 } });
    tick(50, true);
    assert.equal(got.length, 6);
    assert.deepEqual(new Set(got.slice(0, 2).map((g) => g[2])).size, 1);
    assert.deepEqual(got.find((g) => g[0] === 101)?.[1], 100);
    const by = s.seriesByPid();
    assert.equal(by.get(101)?.peak.pss, 2500 * KiB);
    assert.equal(by.get(101)?.peak.rss, 3000 * KiB);
    assert.equal(by.get(100)?.peak.rss, 9000 * KiB, "VmHWM catches a peak between ticks");
    assert.deepEqual(s.peakSums(), { pss: (800 + 2500) * KiB, rss: (1000 + 3000) * KiB });
  } finally {
    tree.cleanup();
  }
});

test("decimation keeps the same ticks for every process and exact peaks", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 1000 });
    tree.set(101, { ppid: 100, rss: 1000 });
    const { s, tick } = sampler(tree, { maxSamples: 16 });
    s.watch(100);
    for (let i = 0; i < 100; i++) {
      tree.update(101, { rss: i === 37 ? 50_000 : 1000 + i });
      tick();
    }
    const [a, b] = s.series();
    assert.ok(a && b);
    assert.ok(a.samples.length <= 17 && a.samples.length >= 8, `${a.samples.length}`);
    assert.deepEqual(a.samples.map((x) => x.t), b.samples.map((x) => x.t));
    assert.equal(b.peak.rss, 50_000 * KiB, "peak seen even if its sample was dropped");
    assert.equal(s.peakSums().rss, 51_000 * KiB);
  } finally {
    tree.cleanup();
  }
});

test("macOS: RSS from one ps call per tick, descendants by ppid, PSS unavailable", () => {
  let out = "  1 0 100\n 500 1 2048\n 501 500 4096\n 502 501 1024\n 600 1 999\n";
  let t = 0;
  let clock = 0;
  const s = new MemorySampler({ platform: "darwin", ps: () => out, now: () => t, clock: () => clock });
  s.watch(500);
  t += 300;
  clock += 300;
  s.sampleOnce();
  assert.deepEqual(s.series().map((x) => [x.pid, x.ppid, x.samples[0]?.rss]), [
    [500, 1, 2048 * KiB], [501, 500, 4096 * KiB], [502, 501, 1024 * KiB],
  ]);
  const x = s.series()[0]?.samples[0];
  assert.equal(x?.pss, null);
  assert.equal(x?.minflt, null);
  assert.equal(x?.anon, null);
  assert.deepEqual(s.capabilities(), { platform: "darwin", pss: false, uss: false, rss: true, source: "ps" });
  out = "  1 0 100\n 500 1 2048\n";
  t += 300;
  clock += 300;
  s.sampleOnce();
  assert.ok(s.seriesByPid().get(501)?.exitedAt !== null);
  assert.equal(s.seriesByPid().get(500)?.samples.length, 2);
});

test("Windows: nothing sampled, capabilities say so", () => {
  const s = new MemorySampler({ platform: "win32" });
  s.watch(1234);
  s.sampleOnce();
  assert.deepEqual(s.capabilities(), { platform: "win32", pss: false, uss: false, rss: false, source: "none" });
  assert.equal(s.series()[0]?.samples.length, 0);
});

test("adaptive interval: 10 ms for the first second, back to the configured interval by 2 s", () => {
  assert.equal(adaptiveInterval(0, 50), 10);
  assert.equal(adaptiveInterval(999, 50), 10);
  assert.equal(adaptiveInterval(1500, 50), 30);
  assert.equal(adaptiveInterval(2000, 50), 50);
  assert.equal(adaptiveInterval(60_000, 50), 50);
  assert.equal(adaptiveInterval(0, 5), 5, "never slower than asked");
  void MiB;
});

test("onTick batches a tick's samples; keepSamples: false stores none; maxProcesses caps tracking", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 1000 });
    tree.set(101, { ppid: 100, rss: 1000 });
    tree.set(102, { ppid: 100, rss: 1000 });
    const { s, tick } = sampler(tree, { keepSamples: false, maxProcesses: 2 });
    const ticks: [number, number[]][] = [];
    s.onTick((t, batch) => ticks.push([t, batch.map((b) => b.pid).sort()]));
    s.watch(100);
    tick();
    tick();
    assert.equal(ticks.length, 2);
    assert.equal(ticks[0]?.[1].length, 2);
    assert.equal(s.stats().refused > 0, true);
    assert.ok(s.series().every((x) => x.samples.length === 0 && x.sampleCount === 2));
    assert.equal(s.series().length, 2);
  } finally {
    tree.cleanup();
  }
});

test("between reads, a child's copies move Σ PSS by one page each: the parent is credited the share it gains", () => {
  const tree = new FakeProcTree();
  try {
    // parent and child share 100 MB (n = 2); both have 1 MB of their own
    const shared = { sc: 0, sd: 102_400, pc: 0, pd: 1024, pss: 51_200 + 1024, rss: 103_424 };
    tree.set(100, { ppid: 1, rss: 103_424, anon: 103_424, minflt: 100, smaps: shared });
    tree.set(101, { ppid: 100, rss: 103_424, anon: 103_424, minflt: 100, smaps: shared });
    const { s, tick } = sampler(tree);
    s.watch(100);
    tick();
    tree.update(101, { minflt: 10_100 }); // the child copies 40 MB, RSS unchanged
    tick(5);
    const by = s.seriesByPid();
    const child = by.get(101)?.samples.at(-1);
    const parent = by.get(100)?.samples.at(-1);
    assert.equal(child?.pss, (52_224 + 20_000) * KiB, "+1 − 1/2 per copied page");
    assert.equal(parent?.pss, (52_224 + 20_000) * KiB, "+1/2 per page the child copied");
    assert.equal(parent?.privateDirty, 1024 * KiB, "the parent's own figures are not touched");
    assert.equal(s.peakSums().pss, (2 * 52_224 + 40_000) * KiB, "Σ PSS grew by the 40 MB copied");
  } finally {
    tree.cleanup();
  }
});

test("faults that were allocation churn, not copies, are learned at the next read and discounted", () => {
  const tree = new FakeProcTree();
  try {
    const smaps = { sc: 0, sd: 102_400, pc: 0, pd: 1024, pss: 52_224, rss: 103_424 };
    tree.set(101, { ppid: 1, rss: 103_424, anon: 103_424, minflt: 100, smaps });
    const { s, tick } = sampler(tree);
    s.watch(101);
    tick();
    tree.update(101, { minflt: 10_100 }); // 40 MB of faults, RSS unchanged…
    tick(5);
    assert.equal(s.seriesByPid().get(101)?.samples.at(-1)?.privateDirty, (1024 + 40_000) * KiB, "taken for copies at first");
    // …but the read shows only 4 MB more private dirty: the rest was memory allocated and freed again
    tree.update(101, { smaps: { ...smaps, pd: 1024 + 4000, sd: 102_400 - 4000 } });
    tick(5, true);
    tree.update(101, { minflt: 20_100 }); // 40 MB of faults again
    tick(5);
    assert.equal(s.seriesByPid().get(101)?.samples.at(-1)?.privateDirty, (1024 + 4000 + 4000) * KiB, "now counted at the measured 10 %");
  } finally {
    tree.cleanup();
  }
});

test("a child's read that shows it copied what it shared re-reads its parent, whatever the smaps budget says", () => {
  const tree = new FakeProcTree();
  try {
    // parent and fork child share 100 MB (n = 2)
    const shared = { sc: 0, sd: 102_400, pc: 0, pd: 1024, pss: 51_200 + 1024, rss: 103_424 };
    tree.set(100, { ppid: 1, rss: 103_424, anon: 103_424, minflt: 100, smaps: shared });
    tree.set(101, { ppid: 100, rss: 103_424, anon: 103_424, minflt: 100, smaps: shared });
    const { s, tick } = sampler(tree, { smapsBudget: 0 });
    s.watch(100);
    tick();
    assert.equal(s.stats().smapsReads, 2);
    // the child copies 40 MB: its faults make it a suspect (re-read at once); the kernel now says
    // those pages are private to each of them
    const after = { sc: 0, sd: 62_400, pc: 0, pd: 41_024, pss: 52_224 + 20_000, rss: 103_424 };
    tree.update(101, { minflt: 10_100, smaps: after });
    tree.update(100, { smaps: after });
    tick();
    assert.equal(s.stats().smapsReads, 4, "the child, then its parent, although nothing of its own moved");
    const parent = s.seriesByPid().get(100)?.samples.at(-1);
    assert.equal(parent?.privateDirty, 41_024 * KiB);
    assert.equal(parent?.pss, (52_224 + 20_000) * KiB);
    tick();
    assert.equal(s.stats().smapsReads, 4, "and then it rests");
  } finally {
    tree.cleanup();
  }
});

test("a parent read in the tick its children copied is not also credited for those copies", () => {
  const tree = new FakeProcTree();
  try {
    const shared = { sc: 0, sd: 102_400, pc: 0, pd: 1024, pss: 51_200 + 1024, rss: 103_424 };
    tree.set(100, { ppid: 1, rss: 103_424, anon: 103_424, minflt: 100, smaps: shared });
    tree.set(101, { ppid: 100, rss: 103_424, anon: 103_424, minflt: 100, smaps: shared });
    const { s, tick } = sampler(tree, { smapsBudget: 0 });
    s.watch(100);
    tick(300);
    // the child copies 20 MB (an estimate, not re-read); in the same tick the parent forks again,
    // so it is re-read, and its read already holds the pages the child's copies made private
    tree.update(101, { minflt: 5100 });
    tree.update(100, { smaps: { sc: 0, sd: 82_400, pc: 0, pd: 21_024, pss: 52_224 + 10_000, rss: 103_424 } });
    tree.set(102, { ppid: 100, rss: 1000, smaps: { pss: 1000, sc: 0, sd: 0, pc: 0, pd: 1000 } });
    tick(300);
    assert.equal(s.stats().smapsReads, 4, "the new child and the parent, not the first child");
    const by = s.seriesByPid();
    assert.equal(by.get(100)?.samples.at(-1)?.pss, (52_224 + 10_000) * KiB, "the parent's read, no credit on top");
    assert.equal(by.get(101)?.samples.at(-1)?.pss, (52_224 + 20_000 - 10_000) * KiB, "+1 − 1/2 per copied page");
    // later copies are credited as before
    tree.update(101, { minflt: 6124 }); // 4 MB more
    tick(300);
    assert.equal(s.seriesByPid().get(100)?.samples.at(-1)?.pss, (52_224 + 10_000 + 2048) * KiB);
  } finally {
    tree.cleanup();
  }
});

test("a fork child's first read takes its share of the inherited pages from the parent until the parent's re-read", () => {
  const tree = new FakeProcTree();
  try {
    // every smaps read "costs" 10 ms on the injected clock: 100 × that keeps the parent from being re-read at once
    let clock = 0;
    let t = 1_700_000_000_000;
    const fs = tree.fs();
    const costly: ProcFs = {
      ...fs,
      open: (path) => {
        if (path.endsWith("smaps_rollup")) clock += 10;
        return fs.open(path);
      },
    };
    const s = new MemorySampler({ procRoot: tree.root, platform: "linux", fs: costly, now: () => t, clock: () => clock, pageSize: 4096, smapsBudget: 0 });
    const step = () => {
      clock += 300;
      t += 300;
      s.sampleOnce();
    };
    tree.set(100, { ppid: 1, rss: 102_400, anon: 102_400, smaps: { pss: 102_400, pssAnon: 102_400, sc: 0, sd: 0, pc: 0, pd: 102_400 } });
    s.watch(100);
    step();
    // fork: the child shares all 100 MB with its parent; the parent's figures are 300 ms old
    tree.set(101, { ppid: 100, rss: 102_400, anon: 102_400, smaps: { pss: 51_200, pssAnon: 51_200, sc: 0, sd: 102_400, pc: 0, pd: 0 } });
    tree.update(100, { smaps: { pss: 51_200, pssAnon: 51_200, sc: 0, sd: 102_400, pc: 0, pd: 0 } });
    step();
    assert.equal(s.stats().smapsReads, 2, "the child's first read; the parent waits for 100 × its cost");
    const parent = s.seriesByPid().get(100)?.samples.at(-1);
    assert.equal(parent?.pss, 51_200 * KiB, "half of the 100 MB is the child's now");
    assert.ok((parent?.uss ?? 0) <= (parent?.pss ?? 0), "USS never above PSS");
    assert.equal(s.peakSums().pss, 102_400 * KiB, "Σ PSS did not count the inherited pages twice");
  } finally {
    tree.cleanup();
  }
});

test("descriptors: kept open up to maxOpenFds, beyond that opened for each read; none left once processes exit or stop()", () => {
  const tree = new FakeProcTree();
  try {
    for (let i = 0; i < 6; i++) tree.set(200 + i, { ppid: 1, rss: 1000 + i, smaps: { pss: 900, sc: 0, sd: 0, pc: 0, pd: 900 } });
    const fs = tree.fs();
    const open = new Set<number>();
    let opens = 0;
    const counted: ProcFs = {
      ...fs,
      open: (path) => {
        const fd = fs.open(path);
        open.add(fd);
        opens++;
        return fd;
      },
      close: (fd) => {
        open.delete(fd);
        fs.close(fd);
      },
    };
    let clock = 0;
    const s = new MemorySampler({ procRoot: tree.root, platform: "linux", fs: counted, clock: () => clock, discover: false, maxOpenFds: 4 });
    for (let i = 0; i < 6; i++) s.watch(200 + i);
    // every process faults every tick: none is quiet enough to be read less often
    const fault = (k: number) => {
      for (let j = 0; j < 6; j++) tree.update(200 + j, { minflt: 100 + k });
    };
    for (let i = 0; i < 5; i++) {
      fault(i);
      clock += 600; // status is due too
      s.sampleOnce();
      assert.ok(open.size <= 4, `${open.size} descriptors open`);
    }
    for (const x of s.series()) assert.equal(x.samples.length, 5, `pid ${x.pid} sampled every tick`);
    assert.equal(s.stats().errors, 0);
    const before = opens;
    fault(5);
    clock += 50;
    s.sampleOnce();
    assert.ok(opens - before >= 2, "the processes without kept descriptors open their files per read");
    // three exit: their kept descriptors are closed
    for (let i = 0; i < 3; i++) tree.dead.add(200 + i);
    clock += 50;
    s.sampleOnce();
    assert.equal(s.stats().live, 3);
    s.stop();
    assert.equal(open.size, 0, "stop() releases the rest");
  } finally {
    tree.cleanup();
  }
});

test("discovery keeps each children file open and re-reads it", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(100, { ppid: 1, rss: 1000 });
    tree.set(101, { ppid: 100, rss: 1000 });
    mkdirSync(join(tree.root, "100/task/100"), { recursive: true });
    mkdirSync(join(tree.root, "101/task/101"), { recursive: true });
    writeFileSync(join(tree.root, "100/task/100/children"), "101 ");
    writeFileSync(join(tree.root, "101/task/101/children"), "");
    const { s, tick, fs } = sampler(tree);
    s.watch(100);
    tick(300);
    tree.set(102, { ppid: 100, rss: 1000 });
    writeFileSync(join(tree.root, "100/task/100/children"), "101 102 ");
    tick(300);
    assert.deepEqual(s.series().map((x) => x.pid).sort(), [100, 101, 102]);
    const childrenOpens = fs.opens.filter((p) => p.endsWith("/children") && p.startsWith("/100/"));
    assert.equal(childrenOpens.length, 2, "the probe, then one descriptor re-read at every discovery");
  } finally {
    tree.cleanup();
  }
});

test("a process whose memory has not moved for 4 ticks is read every 4th tick; its first fault brings it back", () => {
  const tree = new FakeProcTree();
  try {
    tree.set(300, { ppid: 1, rss: 1000, smaps: { pss: 900, sc: 0, sd: 0, pc: 0, pd: 900 } });
    tree.set(301, { ppid: 1, rss: 1000, smaps: { pss: 900, sc: 0, sd: 0, pc: 0, pd: 900 } });
    const fs = tree.fs();
    const paths = new Map<number, string>();
    const readThisTick = new Set<number>();
    const counted: ProcFs = {
      ...fs,
      open: (path) => {
        const fd = fs.open(path);
        paths.set(fd, path);
        return fd;
      },
      read: (fd, buf, off, len, pos) => {
        const m = /\/(\d+)\/stat$/.exec(paths.get(fd) ?? "");
        if (m) readThisTick.add(Number(m[1]));
        return fs.read(fd, buf, off, len, pos);
      },
    };
    let clock = 0;
    // no smaps re-reads (they read stat too, around the walk): the fast reads alone are counted
    const s = new MemorySampler({ procRoot: tree.root, platform: "linux", fs: counted, clock: () => clock, discover: false, smapsBudget: 0 });
    s.watch(300);
    s.watch(301);
    /** ticks in which each process's stat was read */
    const ticks = (n: number, busy: boolean) => {
      const read = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        if (busy) tree.update(301, { minflt: 1000 + clock });
        readThisTick.clear();
        clock += 50;
        s.sampleOnce();
        for (const pid of readThisTick) read.set(pid, (read.get(pid) ?? 0) + 1);
      }
      return read;
    };
    ticks(5, true); // 300 quiet from its first tick on, 301 faulting
    const steady = ticks(40, true);
    assert.equal(steady.get(301), 40, "a process whose memory moves is read every tick");
    assert.equal(steady.get(300), 10, "a quiet one every 4th");
    for (const x of s.series()) assert.equal(x.samples.length, 45, `pid ${x.pid} has a sample every tick (carried while quiet)`);
    tree.update(300, { minflt: 99, rss: 5000 });
    let seenAfter = 0;
    while (s.series().find((x) => x.pid === 300)?.samples.at(-1)?.rss !== 5000 * 1024) { // the fake tree speaks kB
      ticks(1, false);
      assert.ok(++seenAfter <= 4, "its change is seen within 4 ticks");
    }
    assert.equal(ticks(4, false).get(300), 4, "then it is read at every tick until it is quiet again");
  } finally {
    tree.cleanup();
  }
});

/**
 * Runs `body` with a sampler of one fake process on Node's mocked setTimeout and an injected
 * clock, started with `alongside(poll, 100)`. `at` collects the clock at each poll (before
 * `onPoll` runs, which may throw); `advance(ms, step)` moves the clock and the timers in steps.
 * tickBudget 0: the governor would stretch the interval by the real CPU time of the ticks.
 */
function withTimerRig(
  intervalMs: number,
  body: (rig: { s: MemorySampler; at: number[]; advance: (ms: number, step: number) => void }) => void,
  onPoll: (polls: number) => void = () => {},
): void {
  const tree = new FakeProcTree();
  tree.set(400, { ppid: 1, rss: 1000 });
  let clock = 0;
  mock.timers.enable({ apis: ["setTimeout"] });
  const s = new MemorySampler({ procRoot: tree.root, platform: "linux", fs: tree.fs(), clock: () => clock, discover: false, adaptive: false, intervalMs, tickBudget: 0 });
  const at: number[] = [];
  try {
    s.watch(400);
    s.alongside(() => onPoll(at.push(clock)), 100);
    s.start(); // ticks at once
    body({
      s,
      at,
      advance(ms, step) {
        for (let t = 0; t < ms; t += step) {
          clock += step;
          mock.timers.tick(step);
        }
      },
    });
  } finally {
    s.stop();
    mock.timers.reset();
    tree.cleanup();
  }
}

test("alongside(): the session's poll rides on the timer's ticks, every other 50 ms tick, and survives a throw", () => {
  const failSecond = (polls: number) => {
    if (polls === 2) throw new Error("a poll that fails");
  };
  withTimerRig(50, ({ s, at, advance }) => {
    advance(1000, 50);
    assert.equal(s.stats().ticks, 21, "the timer kept ticking every 50 ms");
    assert.deepEqual(at, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000], "every other tick, the throw included");
    assert.equal(s.stats().errors, 1, "the throw is counted");
    s.stop();
    advance(500, 50);
    assert.equal(at.length, 11, "nothing after stop()");
  }, failSecond);
});

test("alongside(): ticks more than 250 ms apart (a 1 s interval) give it wake-ups of its own every 100 ms", () => {
  withTimerRig(1000, ({ s, at, advance }) => {
    advance(2500, 100);
    assert.equal(s.stats().ticks, 3, "sampling ticks at 0, 1000 and 2000 ms only");
    // every 100 ms while the next tick is more than 250 ms away, then with that tick
    const second = [0, 100, 200, 300, 400, 500, 600, 700, 800, 1000];
    assert.deepEqual(at, [...second, ...second.slice(1).map((t) => t + 1000), 2100, 2200, 2300, 2400, 2500]);
  });
});

test("alongside(): ticks 200 ms apart (as the governor stretches them) carry it at every tick, with no wake-ups of its own", () => {
  withTimerRig(200, ({ s, at, advance }) => {
    advance(1000, 50);
    assert.equal(s.stats().ticks, 6);
    assert.deepEqual(at, [0, 200, 400, 600, 800, 1000]);
  });
});

test("a quiet process that exited is not carried into the tick whose smaps read shows its parent's PSS rising by the pages it shared", () => {
  const tree = new FakeProcTree();
  try {
    const MB = (n: number) => n * 1024; // the fake tree speaks kB
    tree.set(300, { ppid: 1, rss: MB(243), smaps: { pss: MB(205), sc: MB(200), sd: 0, pc: 0, pd: MB(43) } });
    tree.set(301, { ppid: 300, rss: MB(241), smaps: { pss: MB(204), sc: MB(200), sd: 0, pc: 0, pd: MB(41) } });
    let clock = 0;
    const s = new MemorySampler({ procRoot: tree.root, platform: "linux", fs: tree.fs(), clock: () => clock, discover: false, smapsBudget: 1, adaptive: false });
    const pidsOfTick: number[][] = [];
    s.onTick((_t, batch) => pidsOfTick.push(batch.map((b) => b.pid)));
    s.watch(300);
    s.watch(301);
    const tick = () => {
      clock += 50;
      s.sampleOnce();
    };
    for (let i = 0; i < 8; i++) tick(); // both quiet from here on
    // quiet processes are read when (tick + pid) % 4 === 0: the next tick reads 300 and skips 301
    while ((s.stats().ticks + 1 + 300) % 4 !== 0) tick();
    tree.dead.add(301); // exited; the parent reads its pages alone now
    tree.update(300, { minflt: 5000, smaps: { pss: MB(242), sc: 0, sd: 0, pc: MB(200), pd: MB(43) } });
    tick();
    assert.deepEqual(pidsOfTick.at(-1), [300], "301's carried figures are not in the tick that counts its pages in 300");
    assert.equal(typeof s.series().find((x) => x.pid === 301)?.exitedAt, "number", "301 is seen gone in that very tick");
  } finally {
    tree.cleanup();
  }
});
