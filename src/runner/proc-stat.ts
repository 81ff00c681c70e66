import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { endianness } from 'node:os';

/** The fields of `/proc/<pid>/stat` the runner uses. */
export interface ProcStat {
  pid: number;
  /** One letter: R, S, D, Z (zombie)… */
  state: string;
  ppid: number;
  pgrp: number;
  /** Session id: the pid of the session leader. */
  session: number;
  /** Kernel threads have no environment and never belong to an execution. */
  kernelThread: boolean;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  /** Clock ticks after boot. */
  startTime: number;
  rssPages: number;
}

/** Linux exposes USER_HZ, which is 100 on every architecture, to user space. */
export const CLOCK_TICKS_PER_SECOND = 100;

const PF_KTHREAD = 0x00200000;
// stat is well under 1 KiB (comm is at most 16 bytes); one shared buffer avoids an allocation per read.
const statBuffer = Buffer.allocUnsafe(2048);

/** Reads `/proc/<pid>/stat`; undefined when the process is gone (or /proc is unavailable). */
export function readProcStat(pid: number | 'self'): ProcStat | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    // ENOENT: the process exited since /proc was listed; that is an answer, not a failure.
    return undefined;
  }
  let length: number;
  try {
    length = readSync(fd, statBuffer, 0, statBuffer.length, 0);
  } catch {
    // ESRCH: it exited between open and read.
    return undefined;
  } finally {
    closeSync(fd);
  }
  return parseProcStat(statBuffer.toString('latin1', 0, length));
}

/** Parses the text of a stat file; the command name may hold spaces and parentheses. */
function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close === -1) return undefined;
  // Fields after the command, numbered from 3 (state) as in proc(5).
  const f = text.slice(close + 2).split(' ');
  if (f.length < 22) return undefined;
  return {
    pid: Number.parseInt(text, 10),
    state: f[0]!,
    ppid: Number(f[1]),
    pgrp: Number(f[2]),
    session: Number(f[3]),
    kernelThread: (Number(f[6]) & PF_KTHREAD) !== 0,
    cpuTicks: Number(f[11]) + Number(f[12]),
    startTime: Number(f[19]),
    rssPages: Number(f[21]),
  };
}

/** The value of one variable in the environment a process was started with, if readable. */
export function readProcEnvironValue(pid: number, name: string): string | null {
  let environ: Buffer;
  try {
    environ = readFileSync(`/proc/${pid}/environ`);
  } catch {
    // Gone, or another user's process (EACCES): either way it carries no tag we can see.
    return null;
  }
  const key = `${name}=`;
  let at = environ.indexOf(key);
  // Only a match at the start of an entry counts (not FOO_STEPFLOW_EXECUTION_ID=…).
  while (at > 0 && environ[at - 1] !== 0) at = environ.indexOf(key, at + 1);
  if (at === -1) return null;
  const valueStart = at + key.length;
  const end = environ.indexOf(0, valueStart);
  return environ.toString('utf8', valueStart, end === -1 ? environ.length : end);
}

/** A `/proc/<pid>/fd` link to a pipe or socket: what connects a process to a run's output. */
const isChannel = (link: string): boolean => link.startsWith('socket:[') || link.startsWith('pipe:[');

/**
 * What a process's stdout and stderr are connected to, as `/proc/<pid>/fd` links (`socket:[N]`:
 * Node's child pipes are socket pairs); files and terminals are left out. Empty once it is gone.
 */
export function readOutputLinks(pid: number): string[] {
  const links: string[] = [];
  for (const fd of [1, 2]) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (isChannel(link)) links.push(link);
    } catch {
      // Gone already, or that fd is closed: nothing to find its helpers by.
    }
  }
  return links;
}

/** Every pipe and socket a process holds, as `/proc/<pid>/fd` links; empty when gone or not ours. */
export function readChannelLinks(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    // Gone, or another user's process (EACCES): either way nothing of ours that we could see.
    return [];
  }
  const links: string[] = [];
  for (const fd of fds) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (isChannel(link)) links.push(link);
    } catch {
      // The fd was closed (or the process ended) since the listing.
    }
  }
  return links;
}

/** Seconds since boot, in clock ticks, so it compares with {@link ProcStat.startTime}. */
export function readUptimeTicks(): number {
  const text = readFileSync('/proc/uptime', 'latin1');
  return Math.round(Number.parseFloat(text) * CLOCK_TICKS_PER_SECOND);
}

/** Page size from the auxiliary vector (AT_PAGESZ), which is exact on 4 KiB, 16 KiB and 64 KiB kernels. */
export function readPageSize(): number {
  const AT_PAGESZ = 6n;
  try {
    const auxv = readFileSync('/proc/self/auxv');
    const read = (at: number): bigint =>
      endianness() === 'LE' ? auxv.readBigUInt64LE(at) : auxv.readBigUInt64BE(at);
    for (let i = 0; i + 16 <= auxv.length; i += 16) {
      if (read(i) === AT_PAGESZ) return Number(read(i + 8));
    }
  } catch {
    // No /proc or a 32-bit layout we do not parse: the common page size is the best guess.
  }
  return 4096;
}
