/**
 * Whether `requested` is one of the app's registered redirect URIs. Exact, except as Entra does for
 * loopback addresses (RFC 8252, 7.3 and 8.3): for `http://localhost` and `http://127.0.0.1` the port
 * is ignored, so an app registered at `http://localhost:3001/signin-oidc` may also be answered at
 * `http://localhost:3005/signin-oidc` — a second instance of it, on the same machine.
 */
export function isRegisteredRedirectUri(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const loopback = withoutLoopbackPort(requested);
  return loopback !== undefined && registered.some((uri) => withoutLoopbackPort(uri) === loopback);
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The URI without its port if it is a plain-http loopback URI; otherwise `undefined`. */
function withoutLoopbackPort(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  // Compared as written (paths are case-sensitive), but for the port.
  url.port = '';
  return url.href;
}

/**
 * Where a person came from, to offer a way back (the SSO session page's and the signed-out page's
 * "Back to …" link): an http(s) URL on this machine (`localhost`, `127.0.0.1`, `[::1]`), without
 * credentials; anything else is ignored, so that no other site can make the emulator's pages link
 * anywhere else. A link the person follows, never a redirect.
 */
export function loopbackReturnUrl(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (!LOOPBACK_HOSTS.has(url.hostname) || url.username || url.password) return undefined;
  return url.href;
}
