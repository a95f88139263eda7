import type { SampleRegistration } from '../../shared/sample/registration.ts';

/**
 * python's app registration. Like the Flask + MSAL Python sample today, it registers no
 * front-channel logout URL: nothing reaches this app when the user signs out elsewhere.
 */
export const registration = {
  name: 'python',
  displayName: 'python (Flask + MSAL Python)',
  emulatorClientId: '5b9e0c47-2d8a-4f61-9e3b-c7a4d2f8e019',
  emulatorClientSecret: 'emulator-secret-python',
  defaultPort: 3004,
  redirectPath: '/getAToken',
  postLogoutRedirectPath: '/',
  frontChannelLogoutPath: undefined,
  // The original listed the tenant's users: Graph `/v1.0/users`.
  scopes: ['User.ReadBasic.All'],
} satisfies SampleRegistration;
