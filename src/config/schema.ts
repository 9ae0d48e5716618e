// The config contract of DESIGN.md as a zod schema. zod because it gives, for every problem, the
// exact path of the field ("components[1].path") and rejects unknown keys with .strict(): the two
// things an admin needs to fix a config without guessing. Hand-written checks would drift.
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { cronProblem } from './cron';

/** Names become file names inside the backup (<name>.pgdump, <name>/): keep them boring. */
const componentName = z
  .string({ required_error: 'required' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, { message: 'name' });

const absolutePath = z
  .string({ required_error: 'required' })
  .min(1, { message: 'required' })
  .refine((p) => isAbsolute(p), { message: 'absolute' })
  .refine((p) => !p.split('/').includes('..'), { message: 'dotdot' });

const port = z.number({ required_error: 'required' }).int().min(1).max(65535);
const host = z.string().min(1).max(255);
const dbName = z.string({ required_error: 'required' }).min(1).max(64);

/**
 * Where a database's or share's password comes from (issue 15). "keyring": the Keychain / Secret
 * Service (an unreachable keyring is an error). "none": the keyring is never asked; the server needs
 * no password or the tool's own means give it (peer/trust, ~/.pgpass, ~/.my.cnf). Absent (databases):
 * log in without a password first, ask the keyring only when the server wants one. The environment
 * (PRAXIS_BACKUP_PASSWORD_<NAME>) wins in every mode: it is explicit, per run.
 */
const passwordMode = z.enum(['keyring', 'none']).optional();

const postgres = z
  .object({
    name: componentName,
    type: z.literal('postgres'),
    database: dbName,
    host: host.default('localhost'),
    port: port.default(5432),
    user: z.string().min(1).default('postgres'),
    password: passwordMode,
  })
  .strict();

const mariadb = z
  .object({
    name: componentName,
    type: z.enum(['mariadb', 'mysql']),
    database: dbName,
    host: host.default('127.0.0.1'),
    port: port.default(3306),
    user: z.string().min(1).default('root'),
    password: passwordMode,
  })
  .strict();

/**
 * Firebird (indamed MEDICAL OFFICE): `database` is the database file's path as the server sees it,
 * or an alias of the server's databases.conf. No password file: the user and password reach gbak
 * and isql as ISC_USER / ISC_PASSWORD in their environment (src/databases/firebird/).
 */
const firebird = z
  .object({
    name: componentName,
    type: z.literal('firebird'),
    database: z.string({ required_error: 'required' }).min(1).max(255),
    host: host.default('localhost'),
    port: port.default(3050),
    user: z.string().min(1).default('SYSDBA'),
    password: passwordMode,
  })
  .strict();

const folder = z
  .object({
    name: componentName,
    type: z.literal('folder'),
    path: absolutePath,
    exclude: z.array(z.string().min(1)).optional(),
    /**
     * How a restore puts the folder back. "data" (attachments, the default): files changed or
     * deleted since the backup come back, files newer than the backup are kept unless the admin
     * asks for --delete-newer-files. "program" (client, server): put back exactly, like the backup.
     * Absent means "data": a restore must never silently delete a letter scanned after the backup.
     */
    role: z.enum(['data', 'program']).optional(),
  })
  .strict();

const component = z.discriminatedUnion('type', [postgres, mariadb, firebird, folder], {
  errorMap: (issue, ctx) =>
    issue.code === 'invalid_union_discriminator' ? { message: 'componentType' } : { message: ctx.defaultError },
});

/** Every component `type` the config knows, in its order (the manifest accepts exactly these, so a kind added here is accepted there). */
export const COMPONENT_TYPES = [...component.optionsMap.keys()] as [z.infer<typeof component>['type'], ...z.infer<typeof component>['type'][]];

/**
 * An errorMap for a plain union: none of its forms matched, so the problem is the union's own hint
 * (`config.problem.<hint>`), never another union's (an invalid verify.afterBackup was once answered
 * with the volume label/UUID hint).
 */
const unionHint = (hint: string): z.ZodErrorMap => (issue, ctx) => (issue.code === 'invalid_union' ? { message: hint } : { message: ctx.defaultError });

const volumeRef = z.union([z.object({ label: z.string().min(1) }).strict(), z.object({ uuid: z.string().min(1) }).strict()], {
  errorMap: unionHint('volumeRef'),
});

const mirrorMode = z.enum(['all', 'latest']).default('all');

/** A folder mirror's cap (rsync --bwlimit, in KiB/s as rsync counts): absent, as fast as the disk or network goes. */
const rsyncLimitKiBs = z.number().int().min(1).optional();

/** A count of one retention rule: 0 switches the rule off. */
const ruleCount = z.number().int().min(0).max(1000).optional();

/**
 * Which backups are kept (issue 18): `{ "keep": N }` (the newest N, Elexis-OOB's rule), or
 * generations after restic's `forget --keep-*` rules, any subset of last/daily/weekly/monthly/
 * quarterly (src/retention/policy.ts). One object rather than a union so that a wrong count or an
 * unknown key is reported at its own path ("retention.daily"), not as "retention does not match".
 */
export const retentionSchema = z
  .object({
    keep: z.number().int().min(1).max(1000).optional(),
    last: ruleCount,
    daily: ruleCount,
    weekly: ruleCount,
    monthly: ruleCount,
    quarterly: ruleCount,
  })
  .strict()
  .superRefine((r, ctx) => {
    const rules = (['last', 'daily', 'weekly', 'monthly', 'quarterly'] as const).filter((k) => r[k] !== undefined);
    if (r.keep !== undefined && rules.length) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [rules[0]!], message: 'retentionKeepAndRules' });
    } else if (r.keep === undefined && !rules.some((k) => (r[k] ?? 0) > 0)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'retentionEmpty' });
    }
  });

/** A disk of a rotating set: the UUID decides, the label is what people call it („Freitag“). */
const rotationDisk = z.object({ uuid: z.string().min(1), label: z.string().min(1).max(64).optional() }).strict();

/** A sane maximum, not tomedo's two: every destination costs a copy and a check each night. */
export const MAX_MIRRORS = 12;

const mirror = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        name: componentName,
        type: z.literal('volume'),
        /** One disk; or `volumes`: a set of disks that rotate (exactly one of the two; volumeSet() gives either as a list). */
        volume: volumeRef.optional(),
        volumes: z.array(rotationDisk).min(1).max(12).optional(),
        /** A rotating set: a disk not attached for this many days is to be swapped in (default: 7 per other disk, plus 1). */
        rotation: z.object({ swapAfterDays: z.number().int().min(1).max(365) }).strict().optional(),
        mode: mirrorMode,
        /** This mirror's own generations (absent: the local policy's). */
        retention: retentionSchema.optional(),
        eject: z.boolean().default(false),
        limitKiBs: rsyncLimitKiBs,
        required: z.boolean().default(false),
        /** Encrypted on the target (absent: no); the passphrase lives in the credential store as encryption://<name>. */
        encrypt: z.boolean().optional(),
      })
      .strict(),
    z
      .object({
        name: componentName,
        type: z.literal('smb'),
        url: z.string().regex(/^smb:\/\/[^/\s]+\/[^\s]+$/, { message: 'smbUrl' }),
        user: z.string().min(1),
        password: passwordMode,
        mode: mirrorMode,
        limitKiBs: rsyncLimitKiBs,
        /** This mirror's own generations (absent: the local policy's). */
        retention: retentionSchema.optional(),
        required: z.boolean().default(false),
        /** Encrypted on the target (absent: no); the passphrase lives in the credential store as encryption://<name>. */
        encrypt: z.boolean().optional(),
      })
      .strict(),
    z
      .object({
        name: componentName,
        type: z.literal('path'),
        path: absolutePath,
        mode: mirrorMode,
        limitKiBs: rsyncLimitKiBs,
        /** This mirror's own generations (absent: the local policy's). */
        retention: retentionSchema.optional(),
        required: z.boolean().default(false),
        /** Encrypted on the target (absent: no); the passphrase lives in the credential store as encryption://<name>. */
        encrypt: z.boolean().optional(),
      })
      .strict(),
    z
      .object({
        name: componentName,
        type: z.literal('restic'),
        /**
         * restic's own repository syntax: sftp:user@host:/path, sftp://user@host:port//path,
         * rest:https://host/path, s3:https://host/bucket/path, b2:bucket:path, azure:…, gs:…,
         * rclone:remote:path, or an absolute local path. Never a password: a REST login's password
         * lives in the keyring (restic-env://<name>/RESTIC_REST_PASSWORD).
         */
        repository: z
          .string()
          .min(1)
          .regex(/^(\/|(sftp|rest|s3|b2|azure|gs|swift|rclone):\S)/, { message: 'resticRepository' })
          .refine((r) => !/^rest:https?:\/\/[^/@]*:[^/@]*@/.test(r), { message: 'resticRepositoryPassword' }),
        /** The server refuses deletions (default): retention there is the storage side's job; we never forget or prune. */
        appendOnly: z.boolean().default(true),
        limitUploadKiBs: z.number().int().min(1).optional(),
        connections: z.number().int().min(1).max(64).optional(),
        /** Names of the variables restic's backend reads (AWS_ACCESS_KEY_ID, B2_ACCOUNT_KEY, …); their values come from the keyring (restic-env://<name>/<VAR>). */
        backendEnv: z.array(z.string().regex(/^[A-Z][A-Z0-9_]*$/, { message: 'envName' })).default([]),
        /** SFTP: the private key ssh logs in with (the file, not a secret in itself; 0600). */
        sshKey: absolutePath.optional(),
        /** restic itself, when it is not where the locator looks (Debian's package, Homebrew). */
        resticPath: absolutePath.optional(),
        /** verify --target reads 1/N of the repository's data each time, so all of it within N days. */
        readDataDays: z.number().int().min(1).max(365).default(30),
        /** Without appendOnly: `restic prune` at most this often (forget runs with every copy). */
        pruneEveryDays: z.number().int().min(1).max(365).default(30),
        mode: mirrorMode,
        required: z.boolean().default(false),
        /** Always encrypted (restic encrypts every repository); the password lives in the credential store as encryption://<name>. */
        encrypt: z.boolean().default(true).refine((v) => v, { message: 'resticAlwaysEncrypted' }),
      })
      .strict(),
  ],
  {
    errorMap: (issue, ctx) =>
      issue.code === 'invalid_union_discriminator' ? { message: 'mirrorType' } : { message: ctx.defaultError },
  },
);

/** One mailbox: the addr-spec part only ("it@example.de"), no display names: they would need quoting rules of their own. */
const emailAddress = z
  .string({ required_error: 'required' })
  .regex(/^[^\s@<>(),;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/, { message: 'email' });

/** An http(s) URL with a host: ntfy topics, webhooks and heartbeat pings are plain HTTP requests. */
const httpUrl = z.string({ required_error: 'required' }).refine(
  (u) => {
    try {
      const url = new URL(u);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname.length > 0 && !/\s/.test(u);
    } catch {
      return false;
    }
  },
  { message: 'httpUrl' },
);

const weekday = z.enum(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']);

/**
 * Where findings go off the machine (issue 14). Every channel is optional; secrets never live here:
 * the SMTP password is `smtp://<user>@<host>:<port>` and an ntfy access token `ntfy://<host>/<topic>`
 * in the Keychain / Secret Service.
 */
const notify = z
  .object({
    /** The language of what is sent (mails are read by people other than the one at the server). */
    language: z.enum(['de', 'en']).default('de'),
    email: z
      .object({
        host,
        port: port.default(587),
        /** starttls: plain connect, then STARTTLS (required, never falls back); tls: TLS from the first byte (465); none: no encryption (a relay on the LAN). */
        tls: z.enum(['starttls', 'tls', 'none']).default('starttls'),
        /** Absent: the relay needs no login. */
        user: z.string().min(1).max(320).optional(),
        from: emailAddress,
        to: z.array(emailAddress).min(1).max(20),
        /** Accept a self-signed / unknown certificate. Off by default; the settings window warns when on. */
        allowSelfSigned: z.boolean().default(false),
      })
      .strict()
      .optional(),
    ntfy: z
      .object({
        /** The topic URL: https://ntfy.example.de/praxis-backup */
        url: httpUrl,
        /** The topic needs an access token (stored as ntfy://<host>/<topic>). */
        token: z.boolean().default(false),
      })
      .strict()
      .optional(),
    webhook: z.object({ url: httpUrl }).strict().optional(),
    heartbeat: z
      .object({
        url: httpUrl,
        /** healthchecks: <url>/start, <url>, <url>/fail (Healthchecks.io and compatible); uptime-kuma: <push-url>?status=up|down&msg=… */
        style: z.enum(['healthchecks', 'uptime-kuma']).default('healthchecks'),
      })
      .strict()
      .optional(),
    /** Also a message after every good run (the heartbeat pings regardless). */
    onSuccess: z.boolean().default(false),
    /** The „Wochenbericht“: on this day (with the first run or status of that day), or false for none. */
    weeklySummary: z.union([weekday, z.literal(false)], { errorMap: unionHint('weeklySummary') }).default('monday'),
    /** The Datensicherungsprotokoll of the month before, mailed on the 1st (needs email). */
    monthlyReport: z.boolean().default(true),
  })
  .strict();

const hook = z
  .object({
    /** argv, no shell: ["/usr/local/bin/tomedo-pause"]. A string is run by /bin/sh -c. */
    command: z.union([z.array(z.string().min(1)).min(1), z.string().min(1)], { errorMap: unionHint('hookCommand') }),
    timeoutSeconds: z.number().int().min(1).max(86400).default(300),
  })
  .strict();

export const configSchema = z
  .object({
    /** Printed on the emergency sheet (Notfallblatt) of encrypted mirrors. */
    practiceName: z.string().min(1).max(200).optional(),
    backupDir: absolutePath,
    components: z.array(component).min(1, { message: 'noComponents' }),
    /** Absent: tomedo's generations plus quarter-end states (DEFAULT_RETENTION in src/retention/policy.ts). */
    retention: retentionSchema.default({ last: 20, daily: 7, weekly: 4, monthly: 12, quarterly: 8 }),
    /** As many as the admin configures, up to MAX_MIRRORS (each one is a copy every night). */
    mirrors: z.array(mirror).max(MAX_MIRRORS, { message: 'tooManyMirrors' }).default([]),
    schedule: z
      .object({
        cron: z.string().superRefine((expr, ctx) => {
          const p = cronProblem(expr);
          if (p) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'cron', params: p });
        }),
        /** macOS: also run `mirror --on-mount` whenever a volume is mounted (a second LaunchAgent). */
        onDiskAttach: z.boolean().default(false),
      })
      .strict()
      .optional(),
    hooks: z
      .object({ beforeBackup: hook.optional(), afterBackup: hook.optional(), beforeRestore: hook.optional(), afterRestore: hook.optional() })
      .strict()
      .optional(),
    verify: z
      .object({
        /**
         * Restore test after every backup: true, false, or "auto" (default): when the backup's
         * dumps together are at most AUTO_RESTORE_TEST_MAX_BYTES (see src/verify/verify-policy.ts
         * for the measured reason). Checksums and the file index are checked after every backup anyway.
         */
        afterBackup: z.union([z.boolean(), z.literal('auto')], { errorMap: unionHint('afterBackup') }).default('auto'),
        /** A scheduled `verify --restore-test` of the newest backup, e.g. weekly for big databases. */
        cron: z
          .string()
          .superRefine((expr, ctx) => {
            const p = cronProblem(expr);
            if (p) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'cron', params: p });
          })
          .optional(),
        /** Record sha256 of every file in the folders' index (only new and changed files are read). */
        deepIndex: z.boolean().default(false),
        /**
         * The check after each backup reads back a rotating slice of every folder: each file once
         * within this many nights (1: all of them every night). The `verify` command reads its own sample.
         */
        readAllWithinNights: z.number().int().min(1).max(366).default(30),
      })
      .strict()
      .default({}),
    notify: notify.optional(),
    /**
     * The practice keeps working while the backup runs: dumps, copies and the verification run at
     * low CPU and I/O priority (nice + ionice idle class on Linux, taskpolicy -b on macOS).
     */
    performance: z
      .object({ lowPriority: z.boolean().default(true) })
      .strict()
      .default({}),
    alerts: z
      .object({
        /** The local backup directory's last successful, verified backup may be this old (default 26: nightly plus slack). */
        localMaxAgeHours: z.number().int().min(1).max(24 * 365).default(26),
        /** Each mirror's (a USB disk taken home on Fridays is fine for a week; default 8 days). */
        mirrorMaxAgeDays: z.number().int().min(1).max(365).default(8),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.components.forEach((c, i) => {
      const before = seen.get(c.name.toLowerCase());
      if (before !== undefined) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['components', i, 'name'],
          message: 'duplicate',
          params: { value: c.name, first: `components[${before}]` },
        });
      } else seen.set(c.name.toLowerCase(), i);
    });
    const mirrorNames = new Set<string>();
    cfg.mirrors.forEach((m, i) => {
      if (m.type === 'volume' && (m.volume === undefined) === (m.volumes === undefined)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['mirrors', i, m.volume ? 'volumes' : 'volume'], message: 'volumeOrVolumes' });
      }
      if (m.type === 'volume' && m.rotation && !m.volumes) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['mirrors', i, 'rotation'], message: 'rotationNeedsVolumes' });
      }
      if (m.type === 'volume' && m.volumes) {
        const uuids = new Set<string>();
        m.volumes.forEach((v, j) => {
          if (uuids.has(v.uuid.toLowerCase())) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['mirrors', i, 'volumes', j, 'uuid'], message: 'duplicate', params: { value: v.uuid } });
          uuids.add(v.uuid.toLowerCase());
        });
      }
      if (mirrorNames.has(m.name)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['mirrors', i, 'name'], message: 'duplicate', params: { value: m.name } });
      }
      mirrorNames.add(m.name);
    });
    cfg.components.forEach((c, i) => {
      if (c.type === 'folder' && isInside(c.path, cfg.backupDir)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['components', i, 'path'], message: 'overlapsBackupDir' });
      }
      if (c.type === 'folder' && isInside(cfg.backupDir, c.path)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['backupDir'], message: 'insideComponent', params: { value: c.name } });
      }
    });
  });

function isInside(child: string, parent: string): boolean {
  const c = child.replace(/\/+$/, '') + '/';
  const p = parent.replace(/\/+$/, '') + '/';
  return c.startsWith(p);
}

export type Config = z.infer<typeof configSchema>;
export type Component = Config['components'][number];
export type PostgresComponent = Extract<Component, { type: 'postgres' }>;
export type MariadbComponent = Extract<Component, { type: 'mariadb' | 'mysql' }>;
export type FirebirdComponent = Extract<Component, { type: 'firebird' }>;
export type FolderComponent = Extract<Component, { type: 'folder' }>;
/** Every component that is a database, whatever its kind (src/databases/registry.ts answers for each). */
export type DatabaseComponent = Exclude<Component, FolderComponent>;
export type Mirror = Config['mirrors'][number];
export type VolumeMirror = Extract<Mirror, { type: 'volume' }>;
export type RetentionConfig = Config['retention'];
export type VolumeRefConfig = z.infer<typeof volumeRef>;
export type RotationDisk = z.infer<typeof rotationDisk>;

/** A volume mirror's disks as a list: the one `volume`, or the rotating set `volumes`. */
export function volumeSet(m: VolumeMirror): { ref: VolumeRefConfig; label?: string }[] {
  if (m.volumes) return m.volumes.map((v) => ({ ref: { uuid: v.uuid }, label: v.label }));
  return m.volume ? [{ ref: m.volume, label: 'label' in m.volume ? m.volume.label : undefined }] : [];
}

/** A rotating set (several disks, or one named in `volumes`): absence of one disk is normal. */
export function isRotation(m: Mirror): m is VolumeMirror & { volumes: RotationDisk[] } {
  return m.type === 'volume' && m.volumes !== undefined;
}

/** Days a disk of the set may stay away before „bitte tauschen“: weekly swaps, each other disk a week away, plus a day. */
export function swapAfterDays(m: VolumeMirror): number {
  return m.rotation?.swapAfterDays ?? 7 * Math.max(1, (m.volumes?.length ?? 1) - 1) + 1;
}
export type PasswordMode = NonNullable<PostgresComponent['password']>;
export type NotifyConfig = NonNullable<Config['notify']>;
