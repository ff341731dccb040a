import { test } from "node:test";
import assert from "node:assert/strict";
import {
  newStatFields, parsePidList, parseShmMappings, parseStat, parseStatm, SM, SMAPS_KEYS, ST, STATUS_KEYS,
} from "../../src/core/memory/procfs";
import { parsePsOutput } from "../../src/core/memory/ps";

const KiB = 1024;

function b(text: string): [Buffer, number] {
  const buf = Buffer.from(text, "latin1");
  return [buf, buf.length];
}

test("status: picks fields by name, converts kB, -1 when absent", () => {
  const [buf, len] = b(
    "Name:\tpython3\nState:\tS (sleeping)\nVmPeak:\t  999 kB\nVmHWM:\t  300 kB\nVmRSS:\t  200 kB\n" +
      "RssAnon:\t  150 kB\nRssFile:\t   40 kB\nRssShmem:\t   10 kB\nThreads:\t4\nSigQ:\t0/96365\n",
  );
  const out = new Float64Array(STATUS_KEYS.names.length);
  STATUS_KEYS.parse(buf, len, out);
  assert.equal(out[ST.VmRSS], 200 * KiB);
  assert.equal(out[ST.VmHWM], 300 * KiB);
  assert.equal(out[ST.RssAnon], 150 * KiB);
  assert.equal(out[ST.RssFile], 40 * KiB);
  assert.equal(out[ST.RssShmem], 10 * KiB);
  assert.equal(out[ST.Threads], 4, "no unit: taken as is");
  assert.equal(out[ST.VmSwap], -1, "missing line");
});

test("status: an old kernel without RssAnon/RssFile and a zombie without Vm lines", () => {
  const out = new Float64Array(STATUS_KEYS.names.length);
  STATUS_KEYS.parse(...b("Name:\tx\nVmRSS:\t 12 kB\n"), out);
  assert.equal(out[ST.VmRSS], 12 * KiB);
  assert.equal(out[ST.RssAnon], -1);
  STATUS_KEYS.parse(...b("Name:\tpython3\nState:\tZ (zombie)\nThreads:\t1\n"), out);
  assert.equal(out[ST.VmRSS], -1);
});

test("smaps_rollup: parsed by name whatever the order, Pss_* prefixes do not collide", () => {
  const text = [
    "56438e18a000-7fff7e51d000 ---p 00000000 00:00 0                          [rollup]",
    "Rss:                1640 kB",
    "Pss:                 539 kB",
    "Pss_Dirty:           116 kB",
    "Pss_Anon:            116 kB",
    "Pss_File:            423 kB",
    "Pss_Shmem:             7 kB",
    "Shared_Clean:       1432 kB",
    "Shared_Dirty:          0 kB",
    "Private_Clean:        92 kB",
    "Private_Dirty:       116 kB",
    "Referenced:         1640 kB",
    "Anonymous:           116 kB",
    "Swap:                  3 kB",
    "SwapPss:               1 kB",
    "",
  ].join("\n");
  const out = new Float64Array(SMAPS_KEYS.names.length);
  SMAPS_KEYS.parse(...b(text), out);
  assert.equal(out[SM.Rss], 1640 * KiB);
  assert.equal(out[SM.Pss], 539 * KiB);
  assert.equal(out[SM.PssAnon], 116 * KiB);
  assert.equal(out[SM.PssFile], 423 * KiB);
  assert.equal(out[SM.PssShmem], 7 * KiB);
  assert.equal(out[SM.SharedClean], 1432 * KiB);
  assert.equal(out[SM.SharedDirty], 0);
  assert.equal(out[SM.PrivateClean], 92 * KiB);
  assert.equal(out[SM.PrivateDirty], 116 * KiB);
  assert.equal(out[SM.Swap], 3 * KiB);
  assert.equal(out[SM.SwapPss], 1 * KiB);

  // a 4.14-era kernel: no Pss_Anon/Pss_File/Pss_Shmem, different order
  SMAPS_KEYS.parse(...b("Private_Dirty: 5 kB\nRss: 10 kB\nPss: 8 kB\nShared_Clean: 2 kB\n"), out);
  assert.equal(out[SM.Pss], 8 * KiB);
  assert.equal(out[SM.PrivateDirty], 5 * KiB);
  assert.equal(out[SM.PssShmem], -1);
});

test("stat: fields counted from the last ')' even when the command name has spaces and parens", () => {
  const stat = "4321 (evil) name) (x) S 4000 4321 4321 0 -1 4194304 1234 0 56 0 1 2 0 0 20 0 3 0 987654 226697216 5000 18446744073709551615 1 1 0 0 0 0 0 16781312 2 1 0 0 17 1 0 0 0 0 0\n";
  const st = newStatFields();
  assert.equal(parseStat(...b(stat), st), true);
  assert.equal(st.state, "S".charCodeAt(0));
  assert.equal(st.ppid, 4000);
  assert.equal(st.minflt, 1234);
  assert.equal(st.majflt, 56);
  assert.equal(st.starttime, 987654);
  assert.equal(st.rssPages, 5000);
});

test("stat: a zombie and garbage", () => {
  const st = newStatFields();
  assert.equal(parseStat(...b("9729 (python3) Z 9688 9683 2446 0 -1 4227148 220 0 0 0 0 0 0 0 20 0 1 0 45038 0 0 18446744073709551615 0 0\n"), st), true);
  assert.equal(st.state, "Z".charCodeAt(0));
  assert.equal(st.starttime, 45038);
  assert.equal(parseStat(...b(""), st), false);
  assert.equal(parseStat(...b("12 (x) S 1 2"), st), false, "truncated");
});

test("statm, children lists, ps output", () => {
  assert.deepEqual(parseStatm(...b("765 417 389 5 0 123 0\n")), { residentPages: 417, sharedPages: 389 });
  assert.equal(parseStatm(...b("1 2")), null);
  const pids: number[] = [];
  parsePidList(...b("101 102 4711 "), pids);
  parsePidList(...b("7"), pids);
  assert.deepEqual(pids, [101, 102, 4711, 7]);
  const rows = parsePsOutput("  1     0  1200\n 42     1 20480\nbad line\n 43 42 x\n");
  assert.deepEqual([...rows.keys()], [1, 42]);
  assert.equal(rows.get(42)?.rss, 20480 * 1024);
  assert.equal(rows.get(42)?.ppid, 1);
});

test("maps: /dev/shm names, (deleted) suffix stripped", () => {
  const maps = [
    "7f0000000000-7f0004000000 rw-s 00000000 00:1a 123   /dev/shm/psm_1a2b3c",
    "7f0004000000-7f0004001000 rw-s 00000000 00:1a 124   /dev/shm/sem.mp-xyz",
    "7f0005000000-7f0006000000 rw-s 00000000 00:1a 125   /dev/shm/psm_old (deleted)",
    "7f0007000000-7f0008000000 r-xp 00000000 08:01 999   /usr/lib/libc.so.6",
  ].join("\n");
  assert.deepEqual([...parseShmMappings(maps)].sort(), ["psm_1a2b3c", "psm_old", "sem.mp-xyz"]);
});
