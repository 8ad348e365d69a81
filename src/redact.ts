/** Removes secrets from any text before it leaves the process (log lines, error messages). */

const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/?#\s]*@/gi;
export const REDACTED = '[REDACTED]';

export type Redactor = (text: string) => string;

/**
 * Builds a function that masks the given secrets and any password embedded in a URL.
 * Secrets are also matched in their JSON-escaped and URL-encoded forms, because log lines are JSON
 * and connection strings percent-encode.
 */
export function createRedactor(secrets: ReadonlyArray<string | undefined>): Redactor {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    forms.add(secret);
    forms.add(JSON.stringify(secret).slice(1, -1));
    forms.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret that contains another is masked whole.
  const ordered = [...forms].sort((a, b) => b.length - a.length);
  return (text) => {
    let result = text.replace(URL_CREDENTIALS, `$1${REDACTED}@`);
    for (const form of ordered) result = result.split(form).join(REDACTED);
    return result;
  };
}
