// What launchctl really answers (recorded on a Mac, provenance in test/fixtures/macos/), shared by
// the tests of everything that loads a LaunchAgent: the scheduler's agents and the tray's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'macos');
/** `launchctl print gui/<uid>/<label>` of a loaded agent. */
export const PRINT = readFileSync(join(FIXTURES, 'launchctl-print-user-domain-agent.txt'), 'utf8');
/** The recorded messages of diskutil and launchctl, with their sources. */
export const MESSAGES = readFileSync(join(FIXTURES, 'DISKUTIL-MESSAGES.md'), 'utf8');
/** bootstrap of an agent that is already loaded (or racing its bootout). */
export const BOOTSTRAP_5 = ['Bootstrap failed: 5: Input/output error', 'Try re-running the command as root for richer errors.'];
/** bootstrap into gui/<uid> from an SSH session without the user's GUI session. */
export const BOOTSTRAP_125 = ['Bootstrap failed: 125: Domain does not support specified action'];
export const UID = 501;
