/**
 * Memory of a process and its analysis workers (child processes), sampled from /proc while a run
 * goes on: the figure a machine sees, not only the parent's heap. Linux only; elsewhere the
 * children are not counted (and `childrenCounted` says so).
 */
import { readdirSync, readFileSync } from "node:fs";

function rssKb(pid: number | string): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // gone between the listing and the read
  }
}

/** An analysis worker (a tinypool child process running lib/analysis/pool/worker.js), not another child such as the TypeScript loader's esbuild service. */
function isAnalysisWorker(pid: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("tinypool"); // the pool's process entry (tinypool/dist/entry/process.js)
  } catch {
    return false;
  }
}

function childPids(parent: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // stat: "pid (comm) state ppid ..."; comm may contain spaces, so read after the last ")".
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent && isAnalysisWorker(e)) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export interface MemoryPeak {
  peakMb: number;
  childrenCounted: boolean;
  peakChildren: number;
}

/**
 * Starts sampling `pid` (default: this process) and its analysis workers every `intervalMs`;
 * `stop()` returns the peak of their summed RSS in MB.
 */
export function sampleProcessMemory(pid = process.pid, intervalMs = 50): { stop: () => MemoryPeak } {
  const childrenCounted = process.platform === "linux";
  let peakKb = 0;
  let peakChildren = 0;
  const sample = () => {
    const own = pid === process.pid ? process.memoryUsage().rss / 1024 : rssKb(pid);
    const children = childrenCounted ? childPids(pid) : [];
    peakChildren = Math.max(peakChildren, children.length);
    peakKb = Math.max(peakKb, own + children.reduce((n, child) => n + rssKb(child), 0));
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { peakMb: peakKb / 1024, childrenCounted, peakChildren };
    },
  };
}
