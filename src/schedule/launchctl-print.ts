// A pure parser of `launchctl print <domain>/<label>`. Apple says the output "is NOT API"; what we
// read (state, runs, last exit code, path, arguments, the calendar descriptors) is what
// resticprofile reads too, and the parser is tested against a recorded real output
// (test/fixtures/macos/launchctl-print-user-domain-agent.txt). Unknown lines are kept, never fatal.

/** One `{ … }` block: `key = value` / `key => value` pairs, nested blocks, and bare lines (arguments). */
export interface PrintBlock {
  values: Record<string, string>;
  blocks: Record<string, PrintBlock>;
  items: string[];
}

export interface LaunchctlService {
  /** The first line's name, e.g. `gui/501/de.praxis-backup.agent`. */
  service: string;
  state?: string;
  path?: string;
  program?: string;
  arguments: string[];
  runs?: number;
  /** A number, or launchd's text such as "(never exited)". */
  lastExitCode?: string;
  stdoutPath?: string;
  stderrPath?: string;
  environment: Record<string, string>;
  /** `descriptor` of every calendar-interval trigger: launchd's view of StartCalendarInterval. */
  calendarDescriptors: Record<string, number>[];
  root: PrintBlock;
}

const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, '$1');

function emptyBlock(): PrintBlock {
  return { values: {}, blocks: {}, items: [] };
}

export function parsePrintBlocks(text: string): { name: string; root: PrintBlock } {
  const lines = text.split(/\r?\n/);
  let name = '';
  const root = emptyBlock();
  const stack: PrintBlock[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    if (stack.length === 0) {
      const open = /^(.*?)\s*=\s*\{$/.exec(line);
      if (open) {
        name = open[1]!;
        stack.push(root);
      }
      continue;
    }
    const cur = stack[stack.length - 1]!;
    if (line === '}') {
      stack.pop();
      continue;
    }
    const open = /^(.*?)\s*(?:=>|=)\s*\{$/.exec(line);
    if (open) {
      const child = emptyBlock();
      cur.blocks[unquote(open[1]!)] = child;
      stack.push(child);
      continue;
    }
    const pair = /^(.*?)\s(?:=>|=)(?:\s(.*))?$/.exec(line);
    if (pair) cur.values[unquote(pair[1]!)] = unquote(pair[2] ?? '');
    else cur.items.push(line);
  }
  return { name, root };
}

export function parseLaunchctlPrint(text: string): LaunchctlService {
  const { name, root } = parsePrintBlocks(text);
  const v = root.values;
  const calendarDescriptors: Record<string, number>[] = [];
  for (const trigger of Object.values(root.blocks['event triggers']?.blocks ?? {})) {
    if (trigger.values.stream !== 'com.apple.launchd.calendarinterval') continue;
    const d = trigger.blocks.descriptor;
    if (d) calendarDescriptors.push(Object.fromEntries(Object.entries(d.values).map(([k, n]) => [k, Number(n)])));
  }
  const runs = v.runs !== undefined && /^\d+$/.test(v.runs) ? Number(v.runs) : undefined;
  return {
    service: name,
    state: v.state,
    path: v.path,
    program: v.program,
    arguments: root.blocks.arguments?.items ?? [],
    runs,
    lastExitCode: v['last exit code'],
    stdoutPath: v['stdout path'],
    stderrPath: v['stderr path'],
    environment: root.blocks.environment?.values ?? {},
    calendarDescriptors,
    root,
  };
}
