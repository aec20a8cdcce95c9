import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface InterpolationContext {
  env: Readonly<Record<string, string | undefined>>;
  /** The config file's folder; relative `${file:…}` paths resolve against it. */
  baseDir: string;
  /** Read nothing: `${…}` stays as written, or becomes its written `:-default`; `check --no-secrets` on a host without the secrets. */
  unresolved?: boolean;
}

export interface Interpolated {
  value: string;
  /** Values read from files: credentials, by convention, so they are treated as secrets. */
  fromFiles: string[];
  errors: string[];
}

const TOKEN = /\$\{(env|file|cred):([^}]*)\}/g;

/**
 * Expands `${env:NAME}`, `${env:NAME:-default}`, `${file:PATH}` and `${cred:NAME}` (a systemd
 * credential, read from `$CREDENTIALS_DIRECTORY/NAME`) in one string. A missing
 * variable or unreadable file is an error, never an empty string. `$${…}` escapes a literal.
 *
 * @example interpolate('key-${env:K:-dev}', { env: {}, baseDir: '/etc' }).value // → 'key-dev'
 */
export function interpolate(text: string, ctx: InterpolationContext): Interpolated {
  const errors: string[] = [];
  const fromFiles: string[] = [];
  const value = text.replace(TOKEN, (whole, kind: string, arg: string, offset: number) => {
    if (offset > 0 && text[offset - 1] === '$') return whole;
    const sep = kind === 'env' ? arg.indexOf(':-') : -1;
    // Unresolved, a written default still stands in (a URL stays a URL for the schema); nothing is read.
    if (ctx.unresolved) return sep === -1 ? whole : arg.slice(sep + 2);
    if (kind === 'env') {
      const name = sep === -1 ? arg : arg.slice(0, sep);
      const found = ctx.env[name];
      if (found !== undefined && found !== '') return found;
      if (sep !== -1) return arg.slice(sep + 2);
      errors.push(`environment variable ${name} is not set`);
      return '';
    }
    let path = resolve(ctx.baseDir, arg);
    if (kind === 'cred') {
      const dir = ctx.env.CREDENTIALS_DIRECTORY;
      if (!dir) {
        errors.push(`credential ${arg} requested but CREDENTIALS_DIRECTORY is not set (systemd LoadCredential=)`);
        return '';
      }
      path = resolve(dir, arg);
    }
    try {
      // Files written by editors or `systemd-creds` end with a newline that is not part of the secret.
      const content = readFileSync(path, 'utf8').replace(/\r?\n$/, '');
      fromFiles.push(content);
      return content;
    } catch (err) {
      errors.push(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      return '';
    }
  });
  return { value: value.replace(/\$\$\{/g, '${'), fromFiles, errors };
}
