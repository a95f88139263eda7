/**
 * The emulated tenant's directory: demo users (the names of Microsoft 365 demo tenants) and the
 * Graph data the samples read about them. Ids are lower-case GUIDs, as Entra's are.
 */
import type { DemoUser } from './types.ts';

/** The demo users' password unless the options say otherwise; the only one a page may show. */
export const DEFAULT_PASSWORD = 'Passw0rd!';

/** Microsoft Graph's application id: the `aud` of access tokens for the Graph-like API. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** A member of the tenant, named the way Microsoft 365 demo tenants name them. */
function member(oid: string, givenName: string, surname: string, jobTitle: string): DemoUser {
  const userPrincipalName = `${givenName}${surname[0]}@contoso.onmicrosoft.com`;
  const displayName = `${givenName} ${surname}`;
  return {
    oid,
    displayName,
    givenName,
    surname,
    jobTitle,
    userPrincipalName,
    mail: userPrincipalName,
  };
}

/** The people the sign-in page offers to sign in as; none holds a directory role. */
export const DEMO_USERS: readonly DemoUser[] = [
  member('fdcb490f-9093-4f6d-93fa-934b69178b38', 'Adele', 'Vance', 'Retail Manager'),
  member('5d619532-62c9-411f-8788-683a542a1520', 'Alex', 'Wilber', 'Marketing Assistant'),
  member('7874e0ae-d36b-4b3f-9d1a-1cf5d21de823', 'Megan', 'Bowen', 'Marketing Manager'),
];

/** Entra's built-in role that may do everything, applications included. */
export const GLOBAL_ADMINISTRATOR = 'Global Administrator';

/**
 * The tenant's administrator, named as Microsoft 365 demo tenants name it: a Global Administrator,
 * the one user who may register applications (`applications.ts`). Not a demo user: the sign-in
 * page does not offer it, though it signs in as any user does, with the same password.
 */
export const ADMINISTRATOR: DemoUser = {
  oid: 'b5f0c9a2-6d1e-4c7b-8a3f-0e2d4c6b8a19',
  displayName: 'MOD Administrator',
  givenName: 'MOD',
  surname: 'Administrator',
  jobTitle: 'IT Administrator',
  userPrincipalName: 'admin@contoso.onmicrosoft.com',
  mail: 'admin@contoso.onmicrosoft.com',
  directoryRoles: [GLOBAL_ADMINISTRATOR],
};

/** A message as Graph's `GET /me/messages` returns it (the fields the samples show). */
export interface GraphMessage {
  id: string;
  subject: string;
  from: { emailAddress: { name: string; address: string } };
  receivedDateTime: string;
  bodyPreview: string;
}

// biome-ignore format: seed data, one message per line
const MAIL: Array<[from: number, to: number, receivedDateTime: string, subject: string, bodyPreview: string]> = [
  [2, 0, '2025-03-04T16:20:00Z', 'Spring campaign: store displays', 'Adele, can your stores set up the new displays by Friday? The kits ship on Wednesday.'],
  [1, 0, '2025-03-03T09:05:00Z', 'Photos from the Seattle store', 'Here are the photos you asked for. The window looks great!'],
  [2, 1, '2025-03-04T11:45:00Z', 'Draft press release', 'Please proofread the draft before 3 pm; legal has already signed off.'],
  [0, 1, '2025-03-02T14:30:00Z', 'Re: Photos from the Seattle store', 'Thanks Alex, could you also send the ones of the checkout area?'],
  [1, 2, '2025-03-04T13:10:00Z', 'Re: Draft press release', 'Done, two small fixes in the second paragraph. Ready to go.'],
  [0, 2, '2025-03-03T17:55:00Z', 'Re: Spring campaign: store displays', 'We will be ready on Thursday. Do we have enough brochures?'],
];

/** The user's messages, newest first, with stable ids. */
export function mailboxOf(oid: string): GraphMessage[] {
  const recipient = DEMO_USERS.findIndex((user) => user.oid === oid);
  return MAIL.flatMap(([from, to, receivedDateTime, subject, bodyPreview], index) => {
    const sender = DEMO_USERS[from];
    if (to !== recipient || !sender) return [];
    const emailAddress = { name: sender.displayName, address: sender.mail };
    const id = Buffer.from(`${oid}/${index}`).toString('base64url');
    return [{ id, subject, from: { emailAddress }, receivedDateTime, bodyPreview }];
  }).sort((a, b) => b.receivedDateTime.localeCompare(a.receivedDateTime));
}

/**
 * The tenant's users: the demo users, the administrator, and as many generated ones as asked for
 * (load tests and benchmarks sign in thousands of different users). Looked up by id or user name
 * in constant time.
 */
export class Directory {
  readonly users: readonly DemoUser[];
  /** How many of {@link users} are generated (`loaduser00001@…`): the last ones. */
  readonly generatedUsers: number;
  readonly #byOid = new Map<string, DemoUser>();
  readonly #byUsername = new Map<string, DemoUser>();

  constructor(generatedUsers = 0) {
    this.generatedUsers = generatedUsers;
    this.users = [
      ...DEMO_USERS,
      ADMINISTRATOR,
      ...Array.from({ length: generatedUsers }, (_, index) => generated(index + 1)),
    ];
    for (const user of this.users) {
      this.#byOid.set(user.oid, user);
      this.#byUsername.set(user.userPrincipalName.toLowerCase(), user);
    }
  }

  byOid(oid: unknown): DemoUser | undefined {
    return typeof oid === 'string' ? this.#byOid.get(oid) : undefined;
  }

  /** User names are case-insensitive, as in Entra. */
  byUsername(username: string): DemoUser | undefined {
    return this.#byUsername.get(username.trim().toLowerCase());
  }

  /** The user a `login_hint` names: a user name, or the opaque value of the `login_hint` claim. */
  byHint(hint: string): DemoUser | undefined {
    return this.byUsername(hint) ?? this.byOid(decodeLoginHint(hint)?.uid);
  }
}

/** Generated user number `n`: `loaduser00001@contoso.onmicrosoft.com`, a fixed lower-case GUID. */
function generated(n: number): DemoUser {
  const number = String(n).padStart(5, '0');
  const userPrincipalName = `loaduser${number}@contoso.onmicrosoft.com`;
  return {
    oid: `10ad0000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    displayName: `Load User ${number}`,
    givenName: 'Load',
    surname: `User ${number}`,
    jobTitle: 'Load tester',
    userPrincipalName,
    mail: userPrincipalName,
  };
}

/**
 * The `login_hint` claim: opaque to apps, stable per user, so that an app can hand it back later
 * as `login_hint` or `logout_hint` to name the account.
 */
export function loginHintOf(user: DemoUser, tenantId: string): string {
  const hint = { uid: user.oid, utid: tenantId, upn: user.userPrincipalName };
  return Buffer.from(JSON.stringify(hint)).toString('base64url');
}

function decodeLoginHint(hint: string): { uid?: unknown } | undefined {
  try {
    return JSON.parse(Buffer.from(hint, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
