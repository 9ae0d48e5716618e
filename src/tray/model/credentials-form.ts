// The credentials popover without Qt: which share the form is for (prefilled from the config's smb
// mirrors), what is missing or malformed, and the two actions, a real login with the typed
// password and saving it in the Keychain / Secret Service. Results come back as the admin's text.
import { loadConfig, renderProblem } from '../../config/load';
import type { Config } from '../../config/schema';
import { mirrorCredentials } from '../../destinations/registry';
import { smbCredentialId } from '../../diskutil/smb-mount';
import { render, t, type Lang, type Message, type MessageKey } from '../../i18n';
import type { CredentialsService } from '../../credentials/credentials-service';
import { ConfigError, PraxisError } from '../../core/errors';

export type Field = 'server' | 'share' | 'user' | 'password';
export const FIELDS: readonly Field[] = ['server', 'share', 'user', 'password'];

export interface CredentialsFormValues {
  /** Host name or address, with a port if the NAS needs one ("nas.local", "192.168.1.20:4455"). */
  server: string;
  share: string;
  user: string;
  password: string;
}

/** An smb mirror of the config, as the form shows it. */
export interface ShareChoice {
  mirror: string;
  server: string;
  share: string;
  user: string;
}

export interface Outcome {
  ok: boolean;
  text: string;
  /** The field to put the cursor in when the problem is one of them. */
  field?: Field;
}

export function shareChoices(config: Config): ShareChoice[] {
  // Every mirror whose kind logs in somewhere (a share), as its kind names the login.
  return mirrorCredentials(config.mirrors).map((c) => ({ mirror: c.mirror.name, server: c.host, share: c.place, user: c.user }));
}

/** The choices of a config file; a missing or broken config leaves the form empty and says why. */
export async function loadShareChoices(configFile: string, lang: Lang): Promise<{ choices: ShareChoice[]; problem: string | null }> {
  try {
    return { choices: shareChoices(await loadConfig(configFile)), problem: null };
  } catch (e) {
    return { choices: [], problem: t(lang, 'tray.credentials.noConfig', { reason: configProblem(lang, e) }) };
  }
}

function configProblem(lang: Lang, e: unknown): string {
  if (!(e instanceof ConfigError)) return errorText(lang, e);
  if (e.kind === 'notFound') return t(lang, 'config.notFound', { file: e.file });
  if (e.kind === 'badJson') return t(lang, 'config.badJson', { file: e.file, message: e.reasons.join(' ') });
  return [t(lang, 'config.invalid', { file: e.file }), ...e.problems.slice(0, 1).map((p) => renderProblem(lang, p))].join(' ');
}

/** Forgives what admins paste: "smb://nas/backup", "\\\\nas\\backup", "//nas/", spaces around. */
export function normalise(v: CredentialsFormValues): CredentialsFormValues {
  let server = v.server.trim().replace(/\\/g, '/').replace(/^smb:\/\//i, '').replace(/^\/+/, '');
  let share = v.share.trim().replace(/\\/g, '/').replace(/^\/+|\/+$/g, '');
  const slash = server.indexOf('/');
  if (slash >= 0) {
    const rest = server.slice(slash + 1).replace(/\/+$/, '');
    server = server.slice(0, slash);
    if (!share) share = rest.split('/')[0] ?? '';
  }
  return { server, share, user: v.user.trim(), password: v.password };
}

const LABEL: Record<Field, MessageKey> = {
  server: 'tray.credentials.server',
  share: 'tray.credentials.share',
  user: 'tray.credentials.user',
  password: 'tray.credentials.password',
};

export interface Problem {
  field: Field;
  message: Message;
}

/** The first problem of the form (normalised first), or null. The password is never trimmed: spaces may belong to it. */
export function validate(raw: CredentialsFormValues): Problem | null {
  const v = normalise(raw);
  for (const field of FIELDS) {
    if (v[field] === '') return { field, message: { key: 'tray.credentials.missing', params: { field: { key: LABEL[field] } } } };
  }
  if (/[\s/@]/.test(v.server)) return { field: 'server', message: { key: 'tray.credentials.badServer', params: { server: v.server } } };
  if (v.share.includes('/')) return { field: 'share', message: { key: 'tray.credentials.badShare', params: { share: v.share } } };
  try {
    credentialIdOf(v);
  } catch {
    return { field: 'server', message: { key: 'tray.credentials.badServer', params: { server: v.server } } };
  }
  return null;
}

/** smb://user@server/share, exactly as the engine looks it up for a mirror (smbCredentialId). */
export function credentialIdOf(raw: CredentialsFormValues): string {
  const v = normalise(raw);
  return smbCredentialId(`smb://${v.server}/${encodeURIComponent(v.share)}`, v.user);
}

function errorText(lang: Lang, e: unknown): string {
  if (e instanceof PraxisError) {
    // The engine's message ends in a CLI command; in the popover the fix is the form itself.
    if (e.message_.key === 'credentials.test.wrongPassword') return t(lang, 'tray.credentials.wrongPassword', e.message_.params);
    return render(lang, e.message_);
  }
  return t(lang, 'tray.credentials.unexpected', { message: (e as Error)?.message ?? String(e) });
}

function fieldOf(e: unknown): Field | undefined {
  if (!(e instanceof PraxisError)) return undefined;
  const key = e.message_.key;
  if (key === 'credentials.test.wrongPassword') return 'password';
  if (key === 'credentials.test.shareMissing' || key === 'credentials.test.shareDenied') return 'share';
  if (key === 'credentials.test.badSmbUser') return 'user';
  if (key === 'error.smbUnreachable') return 'server';
  return undefined;
}

export type CredentialsActions = Pick<CredentialsService, 'testShare' | 'set' | 'storeName'>;

export class CredentialsFormModel {
  constructor(
    private readonly service: CredentialsActions,
    private readonly lang: Lang,
  ) {}

  /** "Verbindung zu //nas.local/backup wird geprüft …" for the line under the buttons while it runs. */
  pendingText(raw: CredentialsFormValues, action: 'test' | 'save'): string {
    const v = normalise(raw);
    return action === 'test' ? t(this.lang, 'tray.credentials.testing', { target: `//${v.server}/${v.share}` }) : t(this.lang, 'tray.credentials.saving');
  }

  /** A real login with the typed password; nothing is stored. */
  async test(raw: CredentialsFormValues): Promise<Outcome> {
    const problem = validate(raw);
    if (problem) return this.invalid(problem);
    try {
      const r = await this.service.testShare(credentialIdOf(raw), raw.password);
      return { ok: true, text: render(this.lang, r.message) };
    } catch (e) {
      return { ok: false, text: errorText(this.lang, e), field: fieldOf(e) };
    }
  }

  /** Stores the password under the share's id in the credential store, never anywhere else. */
  async save(raw: CredentialsFormValues): Promise<Outcome> {
    const problem = validate(raw);
    if (problem) return this.invalid(problem);
    const v = normalise(raw);
    try {
      await this.service.set(credentialIdOf(v), v.password);
      return { ok: true, text: t(this.lang, 'tray.credentials.saved', { user: v.user, target: `//${v.server}/${v.share}`, store: this.service.storeName }) };
    } catch (e) {
      return { ok: false, text: errorText(this.lang, e), field: fieldOf(e) };
    }
  }

  private invalid(p: Problem): Outcome {
    return { ok: false, text: render(this.lang, p.message), field: p.field };
  }
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Where a popover of `size` goes for a click at `at`: centred under it, flipped above when the
 * tray sits at the bottom of the screen (Windows-like panels, some Linux desktops), and always
 * inside the screen's free area so no field is cut off.
 */
export function popoverPlacement(at: { x: number; y: number }, size: { width: number; height: number }, screen: Rect, gap = 4): { x: number; y: number } {
  const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(v, Math.max(lo, hi)));
  const below = at.y + gap;
  const fitsBelow = below + size.height <= screen.y + screen.height;
  const y = fitsBelow ? below : at.y - gap - size.height;
  return {
    x: clamp(Math.round(at.x - size.width / 2), screen.x, screen.x + screen.width - size.width),
    y: clamp(y, screen.y, screen.y + screen.height - size.height),
  };
}
