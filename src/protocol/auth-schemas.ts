import { Type, type Static } from '@sinclair/typebox';
import { PERMISSIONS, ROLES } from '../core/access.js';

/** `POST /api/auth/login`. */
export const LoginBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

/** Who is calling (`GET /api/auth/me`, and the answer to a sign-in): what the dashboard shows and hides by. */
export const AuthMeSchema = Type.Object({
  /** `user`: signed in; `api-key`: a bootstrap key (admin); `local`: a server with no users and no key. */
  kind: Type.Union([
    Type.Literal('user'),
    Type.Literal('api-key'),
    Type.Literal('worker'),
    Type.Literal('local'),
  ]),
  /** The signed-in user's name; null for a key or the open local mode. */
  name: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([...ROLES.map((r) => Type.Literal(r)), Type.Literal('worker')]),
  permissions: Type.Array(Type.Union(PERMISSIONS.map((p) => Type.Literal(p)))),
  /** Echo it in the `x-stepflow-csrf` header of every state-changing request (sessions only). */
  csrfToken: Type.Optional(Type.String()),
  /** ISO: when the session ends at the latest (sessions only). */
  expiresAt: Type.Optional(Type.String()),
});

export type AuthMeJson = Static<typeof AuthMeSchema>;

/** `GET /api/auth/providers` (public): how one may sign in here, for the login page. */
export const AuthProvidersSchema = Type.Object({
  /** Single sign-on (OIDC), when configured: where the "Sign in with SSO" link goes. */
  sso: Type.Union([Type.Object({ loginUrl: Type.String() }), Type.Null()]),
});

export type AuthProvidersJson = Static<typeof AuthProvidersSchema>;
