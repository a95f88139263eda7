/**
 * A claims challenge (Continuous Access Evaluation): a resource that refuses a CAE access token
 * after a critical event (sessions revoked, account disabled, password reset) answers `401` with
 *
 *   WWW-Authenticate: Bearer realm="", authorization_uri="…", error="insufficient_claims",
 *                     claims="<base64 of JSON such as {"access_token":{"nbf":{…}}}>"
 *
 * and the client asks for a new token with those claims. This file reads the header, and nothing
 * else: a header it cannot read (malformed, oversized, claims that are not base64 of a JSON object
 * of objects) is no challenge at all, and the 401 stays a plain 401.
 *
 * Written here rather than taken from a library: msal-node reads no such header (msal-common's
 * `AuthenticationHeaderParser` reads only a PoP nonce, splitting on `,` and `=`, which base64
 * padding breaks); `http-auth-utils`' Bearer parser refuses parameters other than RFC 6750's
 * (`claims`, `authorization_uri`); `auth-header` has not been released since 2018; the Azure SDK's
 * pipeline keeps its parser internal. The grammar is RFC 9110's (§11.6.1), in some sixty lines.
 */

/** The longest `WWW-Authenticate` header read (Entra's challenges are a few hundred bytes). */
export const MAX_CHALLENGE_HEADER_LENGTH = 8192;
/** The longest claims request accepted, decoded. */
export const MAX_CLAIMS_LENGTH = 4096;

/**
 * The claims a `WWW-Authenticate` header asks for, as the JSON text msal takes in a request's
 * `claims`; `undefined` when the header is not a claims challenge this client can read.
 */
export function claimsChallengeOf(header: string | null | undefined): string | undefined {
  if (!header || header.length > MAX_CHALLENGE_HEADER_LENGTH) return undefined;
  const challenges = parseChallenges(header);
  const bearer = challenges?.find(
    (challenge) =>
      challenge.scheme === 'bearer' && challenge.params.get('error') === 'insufficient_claims',
  );
  const encoded = bearer?.params.get('claims');
  return encoded === undefined ? undefined : decodeClaims(encoded);
}

/** base64 (standard or URL-safe) of a JSON object whose every member is an object. */
function decodeClaims(encoded: string): string | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) return undefined;
  if (encoded.length > Math.ceil((MAX_CLAIMS_LENGTH * 4) / 3) + 4) return undefined;
  const text = Buffer.from(encoded, 'base64').toString('utf8');
  if (text.length > MAX_CLAIMS_LENGTH) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  // msal merges its own requests into `access_token` and `id_token`: each must be an object.
  if (!isObject(parsed)) return undefined;
  const members = Object.entries(parsed);
  if (members.length === 0 || !members.every(([, value]) => isObject(value))) return undefined;
  return JSON.stringify(parsed);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

interface Challenge {
  /** Lower-case. */
  scheme: string;
  /** By lower-case name. */
  params: Map<string, string>;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]+/y;

/**
 * `#challenge` of RFC 9110: `scheme [ 1*SP #auth-param ]`, the challenges and their parameters
 * separated by commas, a parameter's value a token or a quoted string. `undefined` if the header
 * is not that (a `token68` challenge included: no claims challenge is one).
 */
function parseChallenges(header: string): Challenge[] | undefined {
  const challenges: Challenge[] = [];
  let i = 0;
  const spaces = () => {
    while (header[i] === ' ' || header[i] === '\t') i++;
  };
  const token = () => {
    TOKEN.lastIndex = i;
    const match = TOKEN.exec(header);
    if (match) i = TOKEN.lastIndex;
    return match?.[0];
  };
  const quoted = () => {
    let value = '';
    for (i++; i < header.length; i++) {
      if (header[i] === '"') {
        i++;
        return value;
      }
      if (header[i] === '\\') i++;
      value += header[i] ?? '';
    }
    return undefined; // unterminated
  };
  for (;;) {
    spaces();
    while (header[i] === ',') {
      i++;
      spaces();
    }
    if (i >= header.length) return challenges;
    const scheme = token();
    if (!scheme) return undefined;
    const params = new Map<string, string>();
    challenges.push({ scheme: scheme.toLowerCase(), params });
    for (;;) {
      spaces();
      if (header[i] === ',') {
        i++;
        continue;
      }
      if (i >= header.length) break;
      const start = i;
      const name = token();
      if (!name) return undefined;
      spaces();
      if (header[i] !== '=') {
        // Not a parameter: the next challenge's scheme.
        i = start;
        break;
      }
      i++;
      spaces();
      const value = header[i] === '"' ? quoted() : token();
      if (value === undefined) return undefined;
      const key = name.toLowerCase();
      if (params.has(key)) return undefined; // a parameter given twice: which one to believe?
      params.set(key, value);
      spaces();
      if (i < header.length && header[i] !== ',') return undefined;
    }
  }
}
