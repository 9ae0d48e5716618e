// SQL quoting for the statements we build (restore, the database's own settings): one place, so
// the settings reader and the restore quote names the same way.

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A string literal; standard_conforming_strings is on since 9.1, so only ' needs doubling. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
