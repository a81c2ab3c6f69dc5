// Whether a process id still names the embedded PostgreSQL we think it does. A pid read
// from postmaster.pid or pg-owner.json can, after a crash or a reboot, belong to any other
// process of the same user; signalling it on the files' word alone would stop that one.
// Linux answers from /proc: the executable, the command line, the start time (field 22 of
// /proc/<pid>/stat, clock ticks after boot: with the boot id, unique to one process for
// the machine's life) and the working directory (PostgreSQL's processes run in their data
// directory). Elsewhere there is no such record to ask, and callers must not signal.
import { readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";

/** Where this process's record is: Linux's /proc. */
export const canIdentifyProcesses = process.platform === "linux";

/** What makes one process unique on this machine: its start time within a boot, and that boot. */
export type ProcessStamp = { startTicks: number; bootId: string };

/** This boot's id (/proc/sys/kernel/random/boot_id); undefined off Linux. */
export function bootId(): string | undefined {
  if (!canIdentifyProcesses) return undefined;
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return undefined;
  }
}

/** `pid`'s start time and the boot, or undefined when it does not exist (or off Linux). */
export function processStamp(pid: number): ProcessStamp | undefined {
  const boot = bootId();
  if (!boot) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // after "pid (comm) ", whose comm may hold spaces and parentheses: fields 3, 4, ...
    const startTicks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[22 - 3]);
    return Number.isSafeInteger(startTicks) ? { startTicks, bootId: boot } : undefined;
  } catch {
    return undefined;
  }
}

export function sameStamp(a: ProcessStamp | undefined, b: ProcessStamp | undefined): boolean {
  return a !== undefined && b !== undefined && a.startTicks === b.startTicks && a.bootId === b.bootId;
}

/**
 * Linux: whether `pid` runs `binary` with `dataDir` among its arguments, as the postmaster
 * we start does (`postgres -D <dataDir> ...`). false for a process that cannot be read (gone,
 * or another user's: a postmaster on our data directory runs as its owner, whom we can read).
 */
export function isPostmasterOf(pid: number, o: { binary: string; dataDir: string }): boolean {
  if (!canIdentifyProcesses) return false;
  try {
    const exe = readlinkSync(`/proc/${pid}/exe`);
    if (exe !== realpathSync(o.binary)) return false;
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return args.includes(o.dataDir) || args.includes(realpathSync(o.dataDir));
  } catch {
    return false;
  }
}

/**
 * Linux: the processes whose working directory is `dataDir`: a postmaster on it and its
 * backends, whatever binary they run. Only processes we may read are seen, which covers
 * any PostgreSQL on a data directory we own (it must run as the directory's owner) and,
 * as root, every process.
 */
export function processesIn(dataDir: string): number[] {
  if (!canIdentifyProcesses) return [];
  const target = realpathSync(dataDir);
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === target) found.push(Number(entry));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}
