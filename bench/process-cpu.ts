/**
 * CPU accounting for benchmarks that run the local stack in this process beside DynamoDB Local (a JVM child):
 * CPU time that does not depend on how busy the machine is, so a figure per unit of work taken on a shared machine
 * can be compared with one taken on a quiet one.
 *
 * - DynamoDB Local: utime + stime of its own JVM (found by the port it listens on, never "the first java process":
 *   other stacks may run beside this one), from /proc/<pid>/stat.
 * - This process: process.cpuUsage() (every thread: the functions, the stand-ins, GC, the HTTP and SQS clients).
 * - Its split between the stand-ins and the functions: optional V8 sampling profile (node:inspector), each sample
 *   attributed to the innermost frame that belongs to a known component.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** The pid of the JVM listening on `port` (DynamoDB Local is started with `-port <port>`); undefined if not found. */
export function javaPidForPort(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = args.indexOf('-port');
      if (args[0]?.endsWith('java') && at >= 0 && args[at + 1] === String(port)) return Number(entry);
    } catch {
      // The process ended meanwhile, or is not ours to read.
    }
  }
  return undefined;
}

/** CPU ms (user + system) used so far by process `pid`; NaN when it cannot be read. */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at field 3; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
  } catch {
    return Number.NaN;
  }
}

/** CPU ms (user + system) used so far by this process. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Components of the local stack, by where their code lives; the first that matches a frame's URL names it. */
const COMPONENTS: Array<[string, RegExp]> = [
  ['Stripe emulator', /\/local\/stripe-emulator\//],
  ['SQS stand-in + event sources', /\/local\/sqs\.ts|\/node_modules\/fauxqs\//],
  ['local API gateway', /\/local\/api-gateway\.ts/],
  ['table stream + event bus stand-ins', /\/local\/(streams|eventbridge|mail)\.ts/],
  ['bench', /\/bench\//],
  ['AWS SDK (functions)', /\/node_modules\/(@aws-sdk|@smithy|@aws-crypto)\//],
  ['Stripe SDK (functions)', /\/node_modules\/stripe\//],
  ['Powertools + middy (functions)', /\/node_modules\/(@aws-lambda-powertools|@middy)\//],
  ['zod (functions)', /\/node_modules\/zod\//],
  ['functions', /\/functions\//],
  ['tsx loader', /\/node_modules\/(tsx|esbuild)\//],
];

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

export interface CpuProfiler {
  /** Stops sampling; returns the share of sampled CPU per component (idle samples left out), and writes the profile. */
  stop(file?: string): Promise<Map<string, number>>;
}

/** Starts V8's sampling profiler on this process's main thread (1 ms interval). */
export async function startCpuProfiler(): Promise<CpuProfiler> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
      session.disconnect();
      if (file) writeFileSync(file, JSON.stringify(profile));
      return attribute(profile);
    },
  };
}

function attribute(profile: CpuProfile): Map<string, number> {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const owner = new Map<number, string>();
  const ownerOf = (id: number): string => {
    const cached = owner.get(id);
    if (cached) return cached;
    const node = byId.get(id);
    const name = node?.callFrame.functionName ?? '';
    let found: string;
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)' || name === '(root)')
      found = name === '(garbage collector)' ? 'garbage collector' : name === '(idle)' ? 'idle' : 'V8 (program)';
    else {
      const url = node?.callFrame.url ?? '';
      const component = COMPONENTS.find(([, pattern]) => pattern.test(url))?.[0];
      const up = parent.get(id);
      found = component ?? (up === undefined ? 'node internals' : ownerOf(up));
      if (found === 'V8 (program)') found = 'node internals';
    }
    owner.set(id, found);
    return found;
  };
  const totals = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (const [i, id] of samples.entries()) {
    const who = ownerOf(id);
    totals.set(who, (totals.get(who) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  }
  totals.delete('idle');
  const sum = [...totals.values()].reduce((a, b) => a + b, 0) || 1;
  return new Map([...totals].map(([k, v]) => [k, v / sum] as [string, number]).sort((a, b) => b[1] - a[1]));
}
