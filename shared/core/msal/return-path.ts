/** Longer return paths are ignored (`/` instead): a transaction must fit in its cookie. */
const MAX_RETURN_PATH = 512;

/**
 * A local path to return to after sign-in, or `/`. Never another origin (no open redirect), and
 * never more than 512 characters once normalised: it travels in the sign-in cookie.
 */
export function safeReturnPath(value: string | undefined): string {
  if (!value?.startsWith('/') || value.length > MAX_RETURN_PATH) return '/';
  const base = 'http://sample.invalid';
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return '/'; // `//[` and the like: not a URL at all
  }
  // Checked after the URL parser normalised it: `/x/..//evil.example` becomes `//evil.example`,
  // and a character outside ASCII becomes up to nine.
  const path = url.pathname + url.search;
  const local = url.origin === base && !path.startsWith('//') && !path.includes('\\');
  return local && path.length <= MAX_RETURN_PATH ? path : '/';
}
