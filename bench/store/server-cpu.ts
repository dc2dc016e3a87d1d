/**
 * CPU time of a PostgreSQL server: the postmaster (with its reaped children) plus every live backend
 * (its children), from /proc. The client's CPU alone would hide the half of the work the server does.
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100;

export function serverCpuMs(postmasterPid: number | undefined): number {
  if (postmasterPid === undefined) return 0;
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after "pid (comm) ": ppid is the 2nd, utime 12th, stime 13th, cutime 14th, cstime 15th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(name);
    if (pid === postmasterPid) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    else if (Number(f[1]) === postmasterPid) ticks += Number(f[11]) + Number(f[12]);
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}
