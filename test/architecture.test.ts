// The layering of DESIGN.md as a test, so it cannot rot: Qt only in src/tray, child processes
// only through the runner, the platform asked only in the composition root, the engine never
// importing the CLI or the tray, and every import pointing down the one picture of the layers
// (LAYERS below).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const SRC = join(import.meta.dirname, '..', 'src');
const files = (readdirSync(SRC, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ rel: relative(SRC, join(SRC, f)), text: readFileSync(join(SRC, f), 'utf8') }));

function offenders(pattern: RegExp, allowed: (rel: string) => boolean): string[] {
  return files.filter((f) => pattern.test(f.text) && !allowed(f.rel)).map((f) => f.rel);
}

test('there is source to check', () => {
  assert.ok(files.length > 20, `found ${files.length} files`);
  assert.ok(files.some((f) => f.rel === 'process/runner.ts'));
});

test('only src/tray imports @nodegui', () => {
  assert.equal(offenders(/from ['"]@nodegui\//, (r) => r.startsWith('tray/')), []);
});

test('the tray model, the run launcher and the status watcher are Qt-free (unit-tested without a display)', () => {
  const qtFree = (r: string) => r.startsWith('tray/model/') || r === 'tray/run-launcher.ts' || r === 'tray/status-watcher.ts' || r === 'tray/qt-loader.ts' || r === 'tray/event-pump.ts';
  assert.equal(offenders(/(from|import\() *['"]@nodegui\//, (r) => !qtFree(r)), []);
});

test('only the process runner spawns children (execa, child_process)', () => {
  assert.equal(offenders(/from ['"](execa|node:child_process|child_process)['"]/, (r) => r === 'process/runner.ts'), []);
});

test('only the composition root asks process.platform', () => {
  // app/platform.ts: the root's platform question on its own, for the tray's icon before the root loads.
  assert.equal(offenders(/process\.platform/, (r) => r === 'app/compose.ts' || r === 'app/platform.ts'), []);
});

test('the engine never imports the CLI, the tray or the composition root', () => {
  const engine = (r: string) => !['core/', 'run/', 'backup-directory/', 'backup/', 'restore/', 'verify/', 'retention/', 'mirror/', 'destinations/', 'databases/', 'encryption/', 'credentials/', 'config/', 'process/', 'diskutil/', 'platform/'].some((d) => r.startsWith(d));
  assert.equal(offenders(/from ['"]\.\.\/(cli|tray|app)\//, engine), []);
});

// ---- the layers: imports point down ----

/**
 * The layers of src/, top to bottom: the one picture of them. A file may import from its own
 * folder, from another folder of its own layer, and from any layer below; never from a layer
 * above. Top: what people start (tray, CLI); then what composes the parts for them; the outer
 * features; the engine's capabilities and the destinations they copy to and the keyring logins
 * they use (a destination puts, checks and removes backups with the engine's own copy, check and
 * removal, so it sits beside them); the database kinds; the run's shared parts and the backup
 * directory; the adapters to the system; at the bottom what everything may use (errors and the
 * ports adapters implement in core/).
 */
const LAYERS: readonly (readonly string[])[] = [
  ['tray', 'cli'],
  ['app', 'setup-assistant', 'autostart'],
  ['report', 'alerting'],
  ['backup', 'restore', 'verify', 'mirror', 'retention', 'encryption', 'destinations', 'credentials'],
  ['databases'],
  ['run', 'backup-directory'],
  ['schedule', 'diskutil', 'config', 'notify'],
  ['core', 'process', 'platform', 'i18n'],
];
const LAYER_OF = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));

/** The parsed file, for what a regular expression cannot tell apart (comments, strings, imports). */
const parsed = new Map<string, ts.SourceFile>();
function sourceOf(f: { rel: string; text: string }): ts.SourceFile {
  let sf = parsed.get(f.rel);
  if (!sf) parsed.set(f.rel, (sf = ts.createSourceFile(f.rel, f.text, ts.ScriptTarget.Latest, true)));
  return sf;
}

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((c) => walk(c, visit));
}

const lineOf = (sf: ts.SourceFile, n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
const topFolder = (rel: string) => (rel.includes('/') ? rel.split('/')[0]! : '');

/** Every relative module a file imports (static, `export … from`, `import()`), with its line. */
function importsOf(f: { rel: string; text: string }): { spec: string; line: number }[] {
  const sf = sourceOf(f);
  const out: { spec: string; line: number }[] = [];
  walk(sf, (n) => {
    let spec: ts.Expression | undefined;
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier) spec = n.moduleSpecifier;
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) spec = n.arguments[0];
    if (spec && ts.isStringLiteralLike(spec) && spec.text.startsWith('.')) out.push({ spec: spec.text, line: lineOf(sf, spec) });
  });
  return out;
}

test('every folder of src/ has its place in the layers', () => {
  const folders = [...new Set(files.map((f) => topFolder(f.rel)))].sort();
  assert.equal(folders.filter((d) => !LAYER_OF.has(d)), [], 'a folder missing from LAYERS: give it its layer');
  assert.equal(files.filter((f) => !f.rel.includes('/')).map((f) => f.rel), [], 'a file directly in src/: put it into the folder of its layer');
});

test('imports point down: no file imports from a folder of a layer above its own', () => {
  const upward: string[] = [];
  for (const f of files) {
    const from = topFolder(f.rel);
    const own = LAYER_OF.get(from);
    if (own === undefined) continue; // the test above names it
    for (const { spec, line } of importsOf(f)) {
      const target = normalize(join(dirname(f.rel), spec));
      const to = topFolder(target);
      const theirs = LAYER_OF.get(to);
      if (theirs === undefined || theirs >= own) continue;
      upward.push(`src/${f.rel}:${line} (${from}, layer ${own + 1}) imports ${target} (${to}, layer ${theirs + 1})`);
    }
  }
  assert.ok(upward.length === 0, `${upward.length} upward import(s); move what both need down, or the importer up:\n  ${upward.join('\n  ')}`);
});

// ---- kinds are named only in their own folder ----

/** One place where a kind's name is found in code (comments do not count: they are not parsed). */
interface Mention {
  file: string;
  line: number;
  text: string;
}

/** One line per place: `src/backup/backup-run.ts:42 PostgresComponent, "mariadb"`. */
function byLine(found: Mention[]): string[] {
  const lines = new Map<string, string[]>();
  for (const m of found) {
    const at = `src/${m.file}:${m.line}`;
    const names = lines.get(at) ?? [];
    if (!names.includes(m.text)) names.push(m.text);
    lines.set(at, names);
  }
  return [...lines].map(([at, names]) => `${at} ${names.join(', ')}`);
}

// ---- database kinds ----

/** Splits an identifier into its words: PostgresComponent → postgres, component; plan_pg_probe → plan, pg, probe. */
const wordsOf = (id: string) => id.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);

/** The string literal's text and its line, for every string, template part and literal type of a file. */
function stringsAndNames(f: { rel: string; text: string }, visit: (kind: 'string' | 'name', text: string, node: ts.Node, line: number) => void): void {
  const sf = sourceOf(f);
  walk(sf, (n) => {
    if (ts.isIdentifier(n) || ts.isPrivateIdentifier(n)) visit('name', n.text, n, lineOf(sf, n));
    else if (ts.isStringLiteralLike(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) visit('string', n.text, n, lineOf(sf, n));
  });
}

const { KINDS } = await import('../src/databases/registry');

/**
 * What names a database kind, from the registry, so a kind registered later is covered without a
 * change here: its id and config types, the words of its label, and its programs (pg_dump, psql,
 * mariadb-dump, gbak …) with the first part of each (pg, gbak) for identifiers like PgServerInfo.
 */
const KIND_WORDS = [...new Set(KINDS.flatMap((k) => [k.id, ...k.types, ...k.label.split(/[^A-Za-z0-9]+/)]).map((w) => w.toLowerCase()).filter((w) => w.length >= 4))];
const TOOL_NAMES = [...new Set(KINDS.flatMap((k) => k.tools.flatMap((tool) => [tool.name, ...tool.alternatives])))];
const TOOL_STEMS = new Set(TOOL_NAMES.map((n) => n.split(/[-_.]/)[0]!.toLowerCase()));
const escape = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const TOOL_IN_TEXT = new RegExp(`(?<![\\w-])(${TOOL_NAMES.map(escape).join('|')})(?![\\w-])`, 'i');

/** Where kinds may be named: their own folders, the registry that lists them, the config schema and the texts. */
const mayNameDatabaseKinds = (rel: string) =>
  (/^databases\/[^/]+\//.test(rel) && !rel.startsWith('databases/common/')) || rel === 'databases/registry.ts' || rel === 'config/schema.ts' || rel.startsWith('i18n/');

/** A name or a string that names a database kind. */
function namesDatabaseKind(kind: 'string' | 'name', text: string): boolean {
  const lower = text.toLowerCase();
  if (KIND_WORDS.some((w) => lower.includes(w))) return true;
  return kind === 'name' ? wordsOf(text).some((w) => TOOL_STEMS.has(w)) : TOOL_IN_TEXT.test(text);
}

function databaseKindMentions(list: { rel: string; text: string }[] = files): Mention[] {
  const out: Mention[] = [];
  for (const f of list) {
    if (mayNameDatabaseKinds(f.rel)) continue;
    stringsAndNames(f, (kind, text, _node, line) => {
      if (namesDatabaseKind(kind, text)) out.push({ file: f.rel, line, text: kind === 'name' ? text : JSON.stringify(text) });
    });
  }
  return out;
}

test('the registry knows the kinds this test looks for', () => {
  assert.ok(KIND_WORDS.includes('postgres') && KIND_WORDS.includes('mariadb'), KIND_WORDS.join(' '));
  assert.ok(TOOL_NAMES.includes('pg_dump'), TOOL_NAMES.join(' '));
});

test('the check finds a kind named in code, not in a comment, and not in the kind\'s own folder', () => {
  const text = "// postgres in a comment\nconst a: PostgresComponent = x;\nif (c.type === 'mariadb') run('pg_dump');\nconst s = `${planPgProbe()}`;\n";
  const found = databaseKindMentions([{ rel: 'backup/probe.ts', text }, { rel: 'databases/postgres/probe.ts', text }]);
  assert.equal(byLine(found), ['src/backup/probe.ts:2 PostgresComponent', 'src/backup/probe.ts:3 "mariadb", "pg_dump"', 'src/backup/probe.ts:4 planPgProbe']);
});

/**
 * Names that stay outside a kind's folder on purpose, each with why (file and the name, not a
 * whole file: anything else in these files still counts):
 * - the runner strips every tool's password variable from every child, also in a process that
 *   loaded no kind (a safety list where children are spawned, not a dispatch; a new kind with its
 *   own variable adds one line there);
 * - the macOS agent's PATH lists the install places a Terminal would search, for hooks (the tool
 *   locator searches each kind's own places itself).
 */
const NAMED_ON_PURPOSE = ['src/process/secret-env.ts "MYSQL_PWD"', 'src/schedule/launchd-agent.ts "/Applications/Postgres.app/Contents/Versions/latest/bin"'];

test('database kinds are named only in src/databases/<kind>/ (and the registry, the config schema, the texts)', () => {
  const found = byLine(databaseKindMentions()).filter((l) => !NAMED_ON_PURPOSE.includes(l.replace(/:\d+ /, ' ')));
  const byFile = new Set(found.map((l) => l.split(':')[0])).size;
  assert.ok(found.length === 0, `${found.length} line(s) in ${byFile} file(s) name a database kind outside its folder; ask the registry (src/databases/registry.ts) instead:\n  ${found.join('\n  ')}`);
});

// ---- destination kinds ----

const { DESTINATION_KINDS } = await import('../src/destinations/registry');

/** The config's mirror types, from the registry (volume, smb, path, …): a kind registered later is covered too. */
const DESTINATION_TYPES = new Set<string>(DESTINATION_KINDS.map((k) => k.type as string));

/** Where destination kinds may be named: their own folders, the registry, the config schema and the texts. */
const mayNameDestinationKinds = (rel: string) => /^destinations\/[^/]+\//.test(rel) || rel === 'destinations/registry.ts' || rel === 'config/schema.ts' || rel.startsWith('i18n/');

const endsInType = (n: ts.Node, sf: ts.SourceFile) => /type$/i.test(n.getText(sf).replace(/[!?]+$/, ''));
const isDestinationType = (n: ts.Node) => (ts.isStringLiteralLike(n) || (ts.isLiteralTypeNode(n) && ts.isStringLiteral(n.literal))) && DESTINATION_TYPES.has(ts.isLiteralTypeNode(n) ? (n.literal as ts.StringLiteral).text : (n as ts.StringLiteralLike).text);
const nameText = (n: ts.PropertyName) => (ts.isIdentifier(n) || ts.isStringLiteral(n) ? n.text : '');

/**
 * A mirror type used as a type: 'volume', 'smb', 'path' are also ordinary words (a folder's
 * `path`, a disk's `volume`), so only these count: compared with something's type
 * (`m.type === 'smb'`, `case 'volume':` of a switch on a type), set as a type (`type: 'path'`,
 * `{ type: 'path' }`), or listed with other mirror types only (`['volume', 'smb']`, `'smb' | 'path'`).
 */
function destinationKindMentions(list: { rel: string; text: string }[] = files): Mention[] {
  const out: Mention[] = [];
  for (const f of list) {
    if (mayNameDestinationKinds(f.rel)) continue;
    const sf = sourceOf(f);
    const add = (n: ts.Node, text: string) => out.push({ file: f.rel, line: lineOf(sf, n), text });
    walk(sf, (n) => {
      if (!isDestinationType(n)) return;
      const text = n.getText(sf);
      const p = n.parent;
      // A list of mirror types, not a list of field names that happens to hold 'path' and 'volume'.
      const sibling = (items: readonly ts.Node[]) => items.length >= 2 && items.every(isDestinationType);
      if (
        (ts.isBinaryExpression(p) && [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken].includes(p.operatorToken.kind) && endsInType(p.left === n ? p.right : p.left, sf)) ||
        (ts.isCaseClause(p) && endsInType(p.parent.parent.expression, sf)) ||
        ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p)) && nameText(p.name) === 'type') ||
        (ts.isArrayLiteralExpression(p) && sibling(p.elements)) ||
        (ts.isUnionTypeNode(p) && sibling(p.types))
      ) add(n, text);
    });
  }
  return out;
}

test('the destination check finds a mirror type used as a type, not the same word as a field', () => {
  const text = "// m.type === 'smb' in a comment\nif (m.type === 'smb') x = row.path;\nconst n = { type: 'volume', path: p };\nconst T = ['volume', 'smb', 'path'] as const;\nswitch (mirror.type) { case 'path': break; }\nconst f = key === 'path';\n";
  const found = destinationKindMentions([{ rel: 'mirror/probe.ts', text }, { rel: 'destinations/share/probe.ts', text }]);
  assert.equal(byLine(found), ["src/mirror/probe.ts:2 'smb'", "src/mirror/probe.ts:3 'volume'", "src/mirror/probe.ts:4 'volume', 'smb', 'path'", "src/mirror/probe.ts:5 'path'"]);
});

test('destination kinds are named only in src/destinations/<kind>/ (and the registry, the config schema, the texts)', () => {
  const found = byLine(destinationKindMentions());
  const byFile = new Set(found.map((l) => l.split(':')[0])).size;
  assert.ok(found.length === 0, `${found.length} line(s) in ${byFile} file(s) use a mirror type as a type outside its folder; ask the registry (src/destinations/registry.ts) instead:\n  ${found.join('\n  ')}`);
});

test.run();
