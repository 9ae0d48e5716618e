// What may leave the server: component names and counts, never patient data. Messages of the
// engine carry file names where the admin at the server needs them (files that vanished, could not
// be read, differ from the backup: in an attachments folder those are often named after patients),
// and a restore quotes SQL statements. A notice keeps the count and the sentence, and says where the
// names are. Secrets never reach a message at all (the runner redacts child output first).
import type { Message, Params } from '../i18n';

/** Parameters that hold lists of file names or quoted data, not counts. */
const NAME_PARAMS = new Set(['files', 'first', 'statement']);

export const NAMES_OMITTED: Message = { key: 'notice.namesOmitted' };

/** The message with every file-name list replaced by a pointer to the log on the server; nested messages too. */
export function withoutFileNames(m: Message): Message {
  if (!m.params) return m;
  const params: Params = {};
  for (const [k, v] of Object.entries(m.params)) {
    if (typeof v === 'object') params[k] = withoutFileNames(v);
    else if (typeof v === 'string' && v.length > 0 && NAME_PARAMS.has(k)) params[k] = NAMES_OMITTED;
    else params[k] = v;
  }
  return { key: m.key, params };
}
