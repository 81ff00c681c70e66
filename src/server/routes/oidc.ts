import { Type } from '@sinclair/typebox';
import type { FastifyBaseLogger } from 'fastify';
import * as client from 'openid-client';
import { isStepflowError } from '../../core/errors.js';
import { roleFromClaim, ssoUserName } from '../../core/sso-roles.js';
import { AuthProvidersSchema } from '../../protocol/auth-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { createOidcClient, OidcProviderUnreachable } from '../oidc/oidc-client.js';
import { createFlowCookies, FLOW_TTL_MS } from '../oidc/oidc-flow-cookie.js';
import type { OidcSettings } from '../oidc/oidc-settings.js';
import { requestActor } from '../audit-hook.js';
import { requestScheme } from '../request-guard.js';
import { sessionCookie } from '../session-cookie.js';

const tags = ['auth'];
const CALLBACK_PATH = '/api/auth/oidc/callback';
const LOGIN_PATH = '/api/auth/oidc/login';
const REDIRECT = Type.Null({
  description:
    "A redirect (Location): to the provider, to the dashboard, or to its login page with '?sso_error='",
});

/**
 * OIDC single sign-on (docs/USERS.md): which sign-ins exist, the redirect to the provider, and its
 * callback, which opens a session as the password sign-in does. Browser navigations, not API
 * calls: a failure redirects to the dashboard's login page with the reason (`?sso_error=`), never
 * a 500 page.
 */
export async function oidcRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { options } = context;
  const secure = (headers: Parameters<typeof requestScheme>[0]) =>
    requestScheme(headers, options.trustProxy) === 'https';

  app.get(
    '/api/auth/providers',
    {
      // Public: the login page asks before anyone is signed in.
      config: { permission: 'public' },
      schema: {
        tags,
        summary: 'How one may sign in here: single sign-on, when configured',
        response: { 200: AuthProvidersSchema },
      },
    },
    async () => ({ sso: options.oidc === undefined ? null : { loginUrl: LOGIN_PATH } }),
  );

  // Without SSO configured the next two routes do not exist (404): the callback takes any query
  // parameter a provider adds (Keycloak's session_state, Google's authuser, hd, prompt), which no
  // other route does, and only a configured server needs it.
  if (options.oidc === undefined) return;
  const sso = singleSignOn(options.oidc);

  app.get(
    LOGIN_PATH,
    {
      // Public: it is how one gets credentials.
      config: { permission: 'public' },
      schema: {
        tags,
        summary: 'Start a single sign-on: redirects to the identity provider',
        response: { 302: REDIRECT },
      },
    },
    async (request, reply) => {
      const { oidc, cookies, settings } = sso;
      const https = secure(request.headers);
      const redirectUri =
        settings.redirectUrl ?? `${https ? 'https' : 'http'}://${request.headers.host ?? ''}${CALLBACK_PATH}`;
      try {
        const { url, flow } = await oidc.begin(redirectUri);
        return reply.header('set-cookie', cookies.seal(flow, https)).redirect(url, 302);
      } catch (error) {
        return reply.redirect(loginPageWith(reasonOf(error, request.log)), 302);
      }
    },
  );

  app.get(
    CALLBACK_PATH,
    {
      // Public: the provider sends the browser back here; the flow cookie says whose sign-in it is.
      config: { permission: 'public' },
      schema: {
        tags,
        summary: "The identity provider's redirect back: opens a session, then redirects to the dashboard",
        // What the provider sends (RFC 6749 4.1.2, RFC 9207 `iss`); it may add its own.
        querystring: Type.Object(
          {
            code: Type.Optional(Type.String({ maxLength: 4096 })),
            state: Type.Optional(Type.String({ maxLength: 512 })),
            iss: Type.Optional(Type.String({ maxLength: 2048 })),
            error: Type.Optional(Type.String({ maxLength: 256 })),
            error_description: Type.Optional(Type.String({ maxLength: 2048 })),
          },
          { additionalProperties: true },
        ),
        response: { 302: REDIRECT },
      },
    },
    async (request, reply) => {
      const { oidc, cookies, used, settings } = sso;
      const https = secure(request.headers);
      const clearFlow = cookies.clear(https);
      // Recorded as password sign-ins are (auth.ts): a refusal without the name it was for, which
      // the provider may not even have told.
      const fail = (reason: string) => {
        context.app.audit.record({
          ...requestActor(request, undefined),
          action: 'auth.login_failed',
          objectKind: 'auth',
          objectId: null,
          outcome: 'denied',
          errorCode: 'sso_refused',
        });
        return reply.header('set-cookie', clearFlow).redirect(loginPageWith(reason), 302);
      };
      const flow = cookies.open(request.headers);
      if (flow === undefined) {
        return fail('the sign-in expired or was started in another browser: sign in again');
      }
      const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      if (new URLSearchParams(search).get('state') !== flow.state) {
        return fail('this sign-in does not match the one this browser started: sign in again');
      }
      // A callback is taken once: the same one again (replayed, reloaded) is refused here, before
      // the provider would refuse its used code anyway.
      if (!used.claim(flow.state)) return fail('this sign-in was already used: sign in again');
      try {
        const callbackUrl = new URL(flow.redirectUri);
        callbackUrl.search = search;
        const who = await oidc.finish(callbackUrl, flow);
        const name = ssoUserName(who.claims, settings.nameClaim);
        if (name === undefined) {
          return fail('the identity provider sent no usable user name (preferred_username, email or sub)');
        }
        const role = roleFromClaim(who.claims[settings.roleClaim], settings.roleMap, settings.defaultRole);
        if (role === undefined) {
          request.log.info({ user: name }, 'single sign-on refused: no role');
          return fail(
            `${name} may not use StepFlow: no value of the "${settings.roleClaim}" claim is mapped to a role ` +
              '(STEPFLOW_OIDC_ROLE_MAP) and STEPFLOW_OIDC_DEFAULT_ROLE is none. Ask an admin for access',
          );
        }
        const signedIn = await context.app.users.signInWithIdentity(
          { identity: { issuer: who.issuer, subject: who.subject }, name, role },
          options.sessions,
        );
        // Where single sign-on sign-ins succeed (as password sign-ins in auth.ts).
        context.app.audit.record({
          ...requestActor(request, { kind: 'user', name: signedIn.user.name, role: signedIn.user.role }),
          action: 'auth.login',
          objectKind: 'auth',
          objectId: signedIn.user.name,
          outcome: 'ok',
          errorCode: null,
        });
        request.log.info(
          { user: signedIn.user.name, role: signedIn.user.role },
          'signed in by single sign-on',
        );
        return reply
          .header('set-cookie', [
            clearFlow,
            sessionCookie(signedIn.token, { maxAgeSeconds: options.sessions.maxMs / 1000, secure: https }),
          ])
          .redirect('/', 302);
      } catch (error) {
        return fail(reasonOf(error, request.log));
      }
    },
  );
}

function singleSignOn(settings: OidcSettings) {
  return {
    settings,
    oidc: createOidcClient(settings),
    cookies: createFlowCookies(settings.clientSecret),
    used: createUsedStates(),
  };
}

/**
 * States of callbacks already taken, kept as long as their flow cookie could live. In memory:
 * across replicas a replay still fails at the provider, which takes a code once.
 */
function createUsedStates(now: () => number = Date.now) {
  const used = new Map<string, number>();
  return {
    /** Marks `state` used; false when it already was. */
    claim(state: string): boolean {
      const at = now();
      for (const [old, until] of used) if (until <= at) used.delete(old);
      if (used.has(state)) return false;
      used.set(state, at + FLOW_TTL_MS);
      return true;
    },
  };
}

/** A readable reason for the login page; the details go to the server log. */
function reasonOf(error: unknown, log: FastifyBaseLogger): string {
  if (error instanceof client.AuthorizationResponseError) {
    return error.error === 'access_denied'
      ? `the identity provider did not sign you in (access denied${error.error_description ? `: ${error.error_description}` : ''})`
      : `the identity provider refused the sign-in (${error.error}${error.error_description ? `: ${error.error_description}` : ''})`;
  }
  if (error instanceof client.ResponseBodyError) {
    log.warn({ err: error }, 'single sign-on: the provider refused the code');
    return `the identity provider refused the sign-in (${error.error}${error.error_description ? `: ${error.error_description}` : ''}): sign in again`;
  }
  if (error instanceof OidcProviderUnreachable) {
    log.error({ err: error }, 'single sign-on: provider unreachable');
    return 'the identity provider cannot be reached: try again later, or ask an admin';
  }
  if (isStepflowError(error)) return error.message;
  // openid-client's checks (state, nonce, issuer, ID token signature or time) and anything else.
  log.warn({ err: error }, 'single sign-on failed');
  return `single sign-on failed: ${error instanceof Error ? error.message : String(error)}`;
}

function loginPageWith(reason: string): string {
  return `/?${new URLSearchParams({ sso_error: reason }).toString()}`;
}
