import { registration as aspnetcore } from '../../../samples/aspnetcore/registration.ts';
import type { SampleRegistration } from '../../../shared/sample/registration.ts';

/**
 * The ASP.NET Core tab's code as it is today, for the comparison alone: a web app on
 * Microsoft.Identity.Web, registered as aspnetcore is (ASP.NET Core's paths, its front-channel
 * logout URL `/signout-oidc` included, the same Graph permission and optional claims), under a
 * client id of its own, and without aspnetcore's client capability (`cp1`).
 */
export const registration = {
  ...aspnetcore,
  name: 'identity-web-today',
  displayName: 'ASP.NET Core tab today (Microsoft.Identity.Web)',
  emulatorClientId: '10ef1bbd-7565-4393-9208-b5a83353d347',
  // Never started by a command: the comparison gives it a free port, as it does the samples.
  defaultPort: 3010,
  // Microsoft.Identity.Web declares no client capability unless the app configures
  // `ClientCapabilities`: the tab's code as it comes, not aspnetcore's `cp1`.
  clientCapabilities: [],
} satisfies SampleRegistration;
