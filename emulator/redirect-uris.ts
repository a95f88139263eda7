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
