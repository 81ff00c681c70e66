import { allows, checkUserName, PERMISSIONS, roleOf, type Principal } from '../../core/access.js';
import { ERROR_CODES, isStepflowError } from '../../core/errors.js';
import { AuthMeSchema, LoginBodySchema, type AuthMeJson } from '../../protocol/auth-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { createLoginRateLimit } from '../login-rate-limit.js';
import { requestScheme } from '../request-guard.js';
import { principalOf } from '../route-access.js';
import { requestActor } from '../audit-hook.js';
import { csrfTokenOf, sessionCookie, sessionTokenOf } from '../session-cookie.js';
import { errorResponses } from './error-responses.js';
import { requireJson } from './require-json.js';

const tags = ['auth'];

/** Sign-in, sign-out and who am I (docs/USERS.md). */
export async function authRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { users, audit } = context.app;
  const { options } = context;
  const limit = createLoginRateLimit(options.loginRateLimit);
  const secure = (headers: Parameters<typeof requestScheme>[0]) =>
    requestScheme(headers, options.trustProxy) === 'https';

  app.post(
    '/api/auth/login',
    {
      // Public: it is how one gets credentials. The Origin check still applies (a POST).
      config: { permission: 'public' },
      preValidation: requireJson,
      schema: {
        tags,
        summary: 'Sign in with a name and password: sets the session cookie (HttpOnly, SameSite=Lax)',
        body: LoginBodySchema,
        response: { 200: AuthMeSchema, ...errorResponses(400, 401, 415, 429) },
      },
    },
    async (request, reply) => {
      const { name, password } = request.body;
      // Sign-in is recorded here, not by the audit hook: the caller is who signs in (or fails to).
      // A refused name is kept only when it could be a user name: a password typed into the name
      // field must not reach the log.
      const failed = (errorCode: string) =>
        audit.record({
          ...requestActor(request, undefined),
          action: 'auth.login_failed',
          objectKind: 'auth',
          objectId: isUserName(name) ? name : null,
          outcome: 'denied',
          errorCode,
        });
      try {
        limit.check(request.ip, name);
      } catch (error) {
        failed(ERROR_CODES.RATE_LIMITED);
        throw error;
      }
      try {
        const signedIn = await users.signIn(name, password, options.sessions);
        const principal = { kind: 'user', name: signedIn.user.name, role: signedIn.user.role } as const;
        audit.record({
          ...requestActor(request, principal),
          action: 'auth.login',
          objectKind: 'auth',
          objectId: signedIn.user.name,
          outcome: 'ok',
          errorCode: null,
        });
        const body: AuthMeJson = {
          ...meOf({ kind: 'user', name: signedIn.user.name, role: signedIn.user.role }),
          csrfToken: csrfTokenOf(signedIn.token),
          expiresAt: signedIn.expiresAt,
        };
        return reply
          .header(
            'set-cookie',
            sessionCookie(signedIn.token, {
              maxAgeSeconds: options.sessions.maxMs / 1000,
              secure: secure(request.headers),
            }),
          )
          .send(body);
      } catch (error) {
        if (isStepflowError(error) && error.code === ERROR_CODES.UNAUTHORIZED) {
          failed(error.code);
          limit.fail(request.ip, name);
          request.log.info({ user: name }, 'sign-in refused');
        }
        throw error;
      }
    },
  );

  app.post(
    '/api/auth/logout',
    {
      // Public: signing out with an ended session must still clear the cookie.
      config: { permission: 'public' },
      schema: { tags, summary: 'Sign out: ends the session and clears its cookie', response: { 204: {} } },
    },
    async (request, reply) => {
      const token = sessionTokenOf(request.headers);
      if (token !== undefined) {
        // Whose session it was, for the audit log: an ended session signs no one out.
        const user = await users.authenticate(token, options.sessions);
        await users.signOut(token);
        if (user !== undefined) {
          audit.record({
            ...requestActor(request, user),
            action: 'auth.logout',
            objectKind: 'auth',
            objectId: user.name,
            outcome: 'ok',
            errorCode: null,
          });
        }
      }
      return reply
        .status(204)
        .header('set-cookie', sessionCookie('', { maxAgeSeconds: 0, secure: secure(request.headers) }))
        .send();
    },
  );

  app.get(
    '/api/auth/me',
    {
      config: { permission: 'signed-in' },
      schema: {
        tags,
        summary: 'Who is calling: user, role, permissions (401 when signing in is needed)',
        response: { 200: AuthMeSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const token = principal.kind === 'user' ? sessionTokenOf(request.headers) : undefined;
      return { ...meOf(principal), ...(token === undefined ? {} : { csrfToken: csrfTokenOf(token) }) };
    },
  );
}

function meOf(principal: Principal): AuthMeJson {
  return {
    kind: principal.kind,
    name: principal.kind === 'user' ? principal.name : null,
    role: roleOf(principal),
    permissions: PERMISSIONS.filter((permission) => allows(principal, permission)),
  };
}

function isUserName(name: unknown): name is string {
  try {
    checkUserName(name);
    return true;
  } catch {
    return false; // not a name: not recorded
  }
}
