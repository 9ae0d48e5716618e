// The programs of the Firebird kind, as the tool locator finds them (ToolSpec): Debian's
// firebird3.0-utils has them on PATH, the upstream Linux installer in /opt/firebird/bin, the macOS
// installer in its framework. None of them knows --version: -z prints it (gbak then exits 1, for
// want of a database). isql is Debian's isql-fb (upstream's name is isql).
import type { ToolSpec } from '../contract';

const HINT = 'Debian: apt install firebird3.0-utils; macOS: Firebird\'s installer (/Library/Frameworks/Firebird.framework/Resources/bin)';
export const MAC_BIN = '/Library/Frameworks/Firebird.framework/Resources/bin';

async function searchDirs(platform: string): Promise<string[]> {
  return platform === 'darwin' ? [MAC_BIN] : ['/opt/firebird/bin'];
}

/** `okExitCodes`: 1 only for gbak; a program that fails -z otherwise is not Firebird's (Debian's "isql" is unixODBC's). */
const tool = (name: string, alternatives: string[], okExitCodes: number[]): ToolSpec => ({ name, alternatives, hint: HINT, searchDirs, version: { args: ['-z'], okExitCodes } });

export const FB_TOOLS = {
  gbak: tool('gbak', ['gbak'], [1]),
  'isql-fb': tool('isql-fb', ['isql-fb', 'isql'], [0]),
  gfix: tool('gfix', ['gfix'], [0]),
} as const;

export type FbToolName = keyof typeof FB_TOOLS;

/** The services manager: only the first-run assistant asks it (server root, attached databases, login); not among the kind's tools, a backup never needs it. */
export const FB_SERVICES = tool('fbsvcmgr', ['fbsvcmgr'], [0]);
