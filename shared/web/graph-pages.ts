import type Koa from 'koa';
import { render } from './render.ts';

/** What Graph's `GET /v1.0/users` returns (the fields the samples show). */
export interface GraphUsers {
  value: Array<{ displayName: string; userPrincipalName: string; jobTitle?: string | null }>;
}

/** The users page of the java and python samples (both originals listed the tenant's users). */
export function renderUsers(ctx: Koa.Context, users: GraphUsers): Promise<void> {
  return render(ctx, 'table', {
    title: 'Users (Graph /v1.0/users)',
    headings: ['Name', 'Username', 'Job title'],
    rows: users.value.map((user) => [
      user.displayName,
      user.userPrincipalName,
      user.jobTitle ?? '',
    ]),
  });
}
