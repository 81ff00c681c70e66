import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { isPermission, type Permission, type Principal } from '../core/access.js';

/**
 * What a route needs (docs/USERS.md): a permission of core/access.ts, `signed-in` (any caller the
 * server knows: `/api/auth/me`, a 404), or `public` (served without credentials: only the
 * dashboard's shell and files, and the sign-in itself). Every route declares it in its config
 * (`config: { permission: 'runs:read' }`); the access test fails for a route that does not.
 * Decided on the route the router matched, never on the URL's text: `/%61pi/executions` and
 * `/api/executions` reach the same handler, so they get the same decision.
 */
export type RouteAccess = Permission | 'public' | 'signed-in';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What a caller needs to call this route (route-access.ts). */
    permission?: RouteAccess;
  }
}

/** A route as registered: what the access test and the docs enumerate. */
export interface RegisteredRoute {
  method: string;
  url: string;
  /** As declared; undefined when the route declares nothing (a bug the access test catches). */
  declared: RouteAccess | undefined;
  /** What the guard asks of callers. */
  access: RouteAccess;
}

const registries = new WeakMap<object, RegisteredRoute[]>();

/** Starts recording every route registered on `app` from now on (call before registering any). */
export function recordRoutes(app: FastifyInstance): void {
  const routes: RegisteredRoute[] = [];
  registries.set(app.server, routes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // Read the permission when asked: a scope's own onRoute hook (makeScopePublic) runs after this one.
    for (const method of methods) {
      routes.push({
        method,
        url: route.url,
        get declared() {
          return declaredOf(route);
        },
        get access() {
          return required(declaredOf(route));
        },
      });
    }
  });
}

/** Every route registered on the app whose HTTP server is `server`, HEAD routes included. */
export function routesOf(server: object): readonly RegisteredRoute[] {
  return registries.get(server) ?? [];
}

/**
 * Gives every route registered in `scope` (an encapsulated plugin context) `access` unless it
 * declares one: for plugins that take no per-route config (the dashboard's static files, the API
 * docs).
 */
export function declareScopeAccess(scope: FastifyInstance, access: RouteAccess): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, permission: declaredOf(route) ?? access };
  });
}

/** Marks every route registered in `scope` as public (the dashboard's shell and files). */
export function makeScopePublic(scope: FastifyInstance): void {
  declareScopeAccess(scope, 'public');
}

/** What the route `request` matched needs; an unmatched request (404) needs a known caller. */
export function accessOfRequest(request: FastifyRequest): RouteAccess {
  if (request.is404) return 'signed-in';
  return required(declaredOf(request.routeOptions as unknown as RouteOptions));
}

function declaredOf(route: Pick<RouteOptions, 'config'>): RouteAccess | undefined {
  const permission = (route.config as { permission?: unknown } | undefined)?.permission;
  return permission === 'public' || permission === 'signed-in' || isPermission(permission)
    ? permission
    : undefined;
}

/** A route that declares nothing is an admin's only: failing closed, never open. */
function required(declared: RouteAccess | undefined): RouteAccess {
  return declared ?? 'settings:admin';
}

const principals = new WeakMap<object, Principal>();

/** Records who the guard found calling (the routes that need to know: sign-out, `me`). */
export function setPrincipal(request: FastifyRequest, principal: Principal): void {
  principals.set(request.raw, principal);
}

/** Who the guard found calling, also on a request it refused (403); undefined when it found no one. */
export function knownPrincipalOf(request: FastifyRequest): Principal | undefined {
  return principals.get(request.raw);
}

/** Who is calling, as the guard found; `local` when the server needs no credentials. */
export function principalOf(request: FastifyRequest): Principal {
  return principals.get(request.raw) ?? { kind: 'local' };
}
