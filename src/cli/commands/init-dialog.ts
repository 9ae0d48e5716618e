// The questions of `praxis-backup init` on a terminal, one step of the shared model at a time:
// what was found, the proposal in brackets (Enter takes it), the step's problems after every
// answer. Passwords are typed hidden (readHidden, as `credentials set`). Returns false when the
// admin stops (Ctrl-C at a password, "n" at the end).
import { formatBytes, render, t, type MessageKey } from '../../i18n';
import type { SetupAssistant, StepProblem } from '../../setup-assistant/assistant';
import type { DatabaseAnswer, FolderAnswer } from '../../setup-assistant/contracts';
import type { Out } from '../output';
import { ask, readHidden } from '../terminal';

/** What the command line already said (--backup-dir, --folder, --program-folder): asked no more. */
export interface Preset {
  backupDir?: string;
  folders: string[];
  programFolders: string[];
}

const YES = ['', 'j', 'ja', 'y', 'yes'];
const locale = (out: Out) => (out.lang === 'de' ? 'de-DE' : 'en-GB');

async function yesNo(out: Out, key: MessageKey, params: Record<string, string | number> = {}, defaultYes = true): Promise<boolean> {
  const a = (await ask(`${t(out.lang, key, params)} ${defaultYes ? '[J/n]' : '[j/N]'} `)).trim().toLowerCase();
  return a === '' ? defaultYes : YES.includes(a);
}

function show(out: Out, problems: StepProblem[]): void {
  for (const p of problems) out.text(t(out.lang, p.level === 'error' ? 'init.problem.error' : 'init.problem.warning', { field: p.field, message: p.message }));
}

export async function runDialog(a: SetupAssistant, out: Out, signal: AbortSignal, preset: Preset): Promise<boolean> {
  // 1. Databases
  out.text(t(out.lang, 'init.step.databases'));
  let db = await a.discoverDatabases(signal);
  for (const s of db.servers) {
    if (s.login !== 'password') continue;
    for (let tries = 0; tries < 3; tries++) {
      const typed = await readHidden(`${t(out.lang, 'init.ask.password', { user: s.user, where: s.where })} `);
      if (typed === null) return false;
      if (typed === '') break;
      if (await a.logIn(s, typed, signal)) break;
      out.text(t(out.lang, 'init.passwordWrong', { where: s.where }));
    }
  }
  db = a.databases();
  const choices: { label: string; answer: DatabaseAnswer }[] = [];
  for (const s of db.servers) {
    if (s.login !== 'none') continue;
    for (const d of s.databases.filter((x) => !x.system)) choices.push({ label: `${d.name} (${s.where}, ${formatBytes(d.sizeBytes, out.lang)})`, answer: a.answerFor(s, d.name) });
  }
  choices.forEach((c, i) => out.text(`  ${i + 1}) ${c.label}`));
  if (db.proposal.length) {
    const names = db.proposal.map((d) => d.database).join(', ');
    if (!(await yesNo(out, 'init.ask.databases', { names }))) await pickDatabases(a, out, choices);
  } else if (choices.length) await pickDatabases(a, out, choices);
  show(out, a.databases().problems);

  // 2. Folders
  out.text(t(out.lang, 'init.step.folders'));
  const folders: FolderAnswer[] = [...preset.folders.map((f) => a.folderFor(f, 'data')), ...preset.programFolders.map((f) => a.folderFor(f, 'program'))];
  for (const role of ['data', 'program'] as const) {
    for (;;) {
      const path = (await ask(`${t(out.lang, role === 'data' ? 'init.ask.dataFolder' : 'init.ask.programFolder')} `)).trim();
      if (!path) break;
      const answer = a.folderFor(path, role);
      const step = await a.setFolders([...folders, answer], signal);
      const facts = step.facts.at(-1)!;
      const mine = step.problems.filter((p) => p.field.startsWith(`folders[${folders.length}]`));
      show(out, mine);
      if (mine.some((p) => p.level === 'error')) continue;
      out.text(t(out.lang, 'init.folderFacts', { path, size: formatBytes(facts.bytes, out.lang), files: facts.files.toLocaleString(locale(out)) }));
      folders.push(answer);
    }
  }
  await a.setFolders(folders, signal);

  // 3. Backup directory
  out.text(t(out.lang, 'init.step.backupDir'));
  let b = await a.discoverBackupDirs(signal);
  if (preset.backupDir) b = await a.setBackupDir(preset.backupDir);
  out.text(t(out.lang, 'init.estimate', { size: formatBytes(b.estimateBytes, out.lang), needed: formatBytes(b.neededBytes, out.lang) }));
  for (;;) {
    const typed = (await ask(`${t(out.lang, 'init.ask.backupDir')} [${b.answer}] `)).trim();
    if (typed) b = await a.setBackupDir(typed);
    show(out, b.problems);
    if (b.answer && !b.problems.some((p) => p.level === 'error')) break;
  }

  // 4. Mirror
  out.text(t(out.lang, 'init.step.mirror'));
  const m = await a.discoverDisks(signal);
  if (m.disks.length) {
    m.disks.forEach((d, i) => out.text(`  ${i + 1}) ${d.label ?? '–'} (UUID ${d.uuid}, ${formatBytes(d.sizeBytes, out.lang)})`));
    const pick = (await ask(`${t(out.lang, 'init.ask.mirror')} [1] `)).trim();
    const disk = pick === '' ? m.disks[0] : m.disks[Number(pick) - 1];
    if (disk && pick !== '0') {
      const encrypt = await yesNo(out, 'init.ask.encrypt');
      a.setMirror({ name: 'usb', uuid: disk.uuid!, label: disk.label, encrypt });
    } else a.setMirror(null);
  }
  show(out, a.mirror().problems);

  // 5. Schedule
  out.text(t(out.lang, 'init.step.schedule'));
  for (;;) {
    const s = a.schedule();
    if (s.answer !== null && !s.problems.length) {
      out.text(t(out.lang, 'init.scheduleWords', { words: s.words ?? s.answer, cron: s.answer }));
      for (const d of s.nextRuns) out.text(`  ${d.toLocaleString(locale(out), { dateStyle: 'full', timeStyle: 'short' })}`);
    } else show(out, s.problems);
    const typed = (await ask(`${t(out.lang, 'init.ask.schedule')} `)).trim();
    if (typed === '') {
      if (!s.problems.some((p) => p.level === 'error')) break;
      continue;
    }
    a.setSchedule(typed === '-' ? null : typed);
  }

  // 6. Finish
  out.text(t(out.lang, 'init.step.finish'));
  a.setTrayAtLogin(await yesNo(out, 'init.ask.tray'));
  a.setFirstBackup(await yesNo(out, 'init.ask.firstBackup'));
  const fin = a.finish();
  show(out, fin.problems.filter((p) => p.level === 'error'));
  if (!fin.config) return false;
  return yesNo(out, 'init.ask.apply');
}

async function pickDatabases(a: SetupAssistant, out: Out, choices: { answer: DatabaseAnswer }[]): Promise<void> {
  const raw = (await ask(`${t(out.lang, 'init.ask.pickDatabases')} `)).trim();
  const picked = raw
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((n) => choices[Number(n) - 1]?.answer)
    .filter((x): x is DatabaseAnswer => !!x);
  // Names unique among the picked ones (two servers may both have "praxis").
  const seen = new Set<string>();
  a.setDatabases(
    picked.map((d) => {
      let name = d.name;
      for (let i = 2; seen.has(name.toLowerCase()); i++) name = `${d.name}-${i}`;
      seen.add(name.toLowerCase());
      return { ...d, name };
    }),
  );
  if (!picked.length) out.text(render(out.lang, { key: 'init.db.noneChosen' }));
}
