import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';

/**
 * Who may call a route. Authentication is decided on the route the router matched, never on the
 * URL's text: `/%61pi/executions` and `/api/executions` reach the same handler, so they must get
 * the same decision. Everything is `protected` unless a route declares itself `public`, or `worker`:
 * what `stepflow worker` needs (claim, heartbeat, report), which its token may call too.
 */
export type RouteAccess = 'public' | 'protected' | 'worker';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * `public`: served without credentials. Only the dashboard's shell and static files are.
     * `worker`: an API key or the worker token (STEPFLOW_WORKER_TOKEN) may call it.
     */
    access?: RouteAccess;
  }
}

/** A route as registered: what the access test and the docs enumerate. */
export interface RegisteredRoute {
  method: string;
  url: string;
  access: RouteAccess;
}

const registries = new WeakMap<object, RegisteredRoute[]>();

/** Starts recording every route registered on `app` from now on (call before registering any). */
export function recordRoutes(app: FastifyInstance): void {
  const routes: RegisteredRoute[] = [];
  registries.set(app.server, routes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    // Read the access when asked: a scope's own onRoute hook (makeScopePublic) runs after this one.
    for (const method of methods) {
      routes.push({
        method,
        url: route.url,
        get access() {
          return accessOf(route);
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
 * Marks every route registered in `scope` (an encapsulated plugin context) as public. Used for the
 * dashboard, whose static-file routes come from a plugin that takes no per-route config.
 */
export function makeScopePublic(scope: FastifyInstance): void {
  scope.addHook('onRoute', (route) => {
    route.config = { ...route.config, access: 'public' };
  });
}

/** The access of the route `request` matched; an unmatched request (404) is protected. */
export function accessOfRequest(request: FastifyRequest): RouteAccess {
  if (request.is404) return 'protected';
  return declared(request.routeOptions.config.access);
}

function accessOf(route: RouteOptions): RouteAccess {
  return declared((route.config as { access?: RouteAccess } | undefined)?.access);
}

function declared(access: RouteAccess | undefined): RouteAccess {
  return access === 'public' || access === 'worker' ? access : 'protected';
}
