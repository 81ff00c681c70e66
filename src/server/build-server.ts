import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type { Application } from '../app/application.js';
import type { Stepflow } from '../stepflow.js';
import { registerAccessLog } from './access-log.js';
import { VERSION } from '../version.js';
import { errorBody, frameworkError, installErrorHandling } from './http-errors.js';
import { createIngestMeter } from './ingest-meter.js';
import { installInputChecks } from './input-checks.js';
import { createLiveHub, type LiveHubOptions } from './live/live-hub.js';
import { createRequestGuard } from './request-guard.js';
import { installAuditHook } from './audit-hook.js';
import { accessOfRequest, declareScopeAccess, recordRoutes, setPrincipal } from './route-access.js';
import { authRoutes } from './routes/auth.js';
import { artifactDownloadRoutes } from './routes/artifact-download.js';
import { artifactsListRoutes } from './routes/artifacts-list.js';
import { statsRoutes } from './routes/stats.js';
import { executionEstimatesRoutes } from './routes/execution-estimates.js';
import { executionTrendsRoutes } from './routes/execution-trends.js';
import { executionLogsRoutes } from './routes/execution-logs.js';
import { executionsRoutes } from './routes/executions.js';
import { runSearchRoutes } from './routes/run-search.js';
import { jobsRoutes } from './routes/jobs.js';
import { registerHealthRoutes } from './routes/health.js';
import { dataDirCareRoutes } from './routes/data-dir-care.js';
import { registerRetentionRoutes } from './routes/retention.js';
import { registerPrometheusMetrics } from './routes/prometheus-metrics.js';
import { registerRemoteRoutes } from './routes/remote-executions.js';
import { workersRoutes } from './routes/workers.js';
import { oidcRoutes } from './routes/oidc.js';
import { usersRoutes } from './routes/users.js';
import { tokensRoutes } from './routes/tokens.js';
import { auditRoutes } from './routes/audit.js';
import { savedPipelinesRoutes } from './routes/saved-pipelines.js';
import { pipelineRunsRoutes } from './routes/pipeline-runs.js';
import { hostRoutes } from './routes/host.js';
import { environmentsRoutes } from './routes/environments.js';
import { projectsRoutes } from './routes/projects.js';
import { projectFilesRoutes } from './routes/project-files.js';
import type { ServerOptions } from './server-options.js';
import { addSecurityHeaders, registerWebUi } from './web-ui.js';

/** What route modules get: the application layer plus the server's own settings. */
export interface ServerContext {
  app: Application;
  options: ServerOptions;
  /** Epoch ms when the server was built. */
  startedAt: number;
  version: string;
  /** Connected WebSocket clients (the live hub sets this when it attaches). */
  liveClients: () => number;
}

/** The Fastify instance with TypeBox as its type provider: route schemas type the handlers. */
export type StepflowApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/**
 * The app factory: builds the HTTP API on a wired StepFlow and returns it, never listening (the
 * caller, or a test with `inject`/port 0, decides). Dependencies come in; nothing is global.
 */
export async function buildServer(
  stepflow: Stepflow,
  options: ServerOptions,
  extra: {
    logger?: boolean;
    /** Where log lines go instead of stdout (tests read them). */
    logStream?: { write(line: string): void };
    /** Live hub settings (tests shorten the heartbeat and the per-client allowance). */
    live?: Partial<LiveHubOptions>;
  } = {},
): Promise<StepflowApp> {
  const app = Fastify({
    logger:
      extra.logger === false
        ? false
        : {
            level: options.logLevel,
            // Keys never reach the log, whatever the level.
            redact: [
              'req.headers.authorization',
              'req.headers["sec-websocket-protocol"]',
              'req.headers.cookie',
              'res.headers["set-cookie"]',
            ],
            ...(extra.logStream ? { stream: extra.logStream } : {}),
          },
    bodyLimit: options.bodyLimit,
    trustProxy: options.trustProxy,
    // On close, end every connection (a `curl -N` log tail, a half-read download) instead of
    // waiting for it: shutdown must not hang on a client.
    forceCloseConnections: true,
    // Our own one line per request instead of Fastify's two (access-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    // A bad percent-escape or an over-long id still gets the JSON error shape. Ids are at most
    // 128 characters by schema; the router's own limit sits above that, so the schema names the field.
    frameworkErrors: frameworkError,
    routerOptions: { maxParamLength: 256 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // `curl -X POST -H 'content-type: application/json' …/cancel` sends no body at all: that is an
  // empty request, not malformed JSON. Everything else goes to Fastify's own (safe) JSON parser.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else parseJson(request, body.toString(), done);
  });

  recordRoutes(app);
  registerAccessLog(app);
  const context: ServerContext = {
    app: stepflow.app,
    options,
    startedAt: Date.now(),
    version: VERSION,
    liveClients: () => 0,
  };
  const guard = createRequestGuard(options, stepflow.app.users, stepflow.app.tokens);
  const source = stepflow.app.openLiveSource({
    onError: (error) => app.log.error({ err: error }, 'live: could not follow the store'),
  });
  const liveHub = createLiveHub(
    {
      server: app.server,
      source,
      executions: stepflow.app.executions,
      guard,
      log: app.log,
      onAccessEnded: (listener) => stepflow.app.users.onAccessEnded(listener),
      pipelines: stepflow.app.pipelines,
      host: stepflow.app.host,
    },
    extra.live,
  );
  context.liveClients = liveHub.clientCount;
  // preClose, not onClose: the HTTP server's close waits for upgraded sockets, so they go first.
  app.addHook('preClose', async () => {
    await liveHub.close();
    source.close();
  });

  // Runs after routing: the decision is taken on the route the router matched (route-access.ts).
  const guardRequest = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> => {
    const verdict = await guard.check({
      method: request.method,
      headers: request.headers,
      access: accessOfRequest(request),
    });
    if (!verdict.ok) {
      // For the audit log only: a refused request never reaches a route.
      if (verdict.principal !== undefined) setPrincipal(request, verdict.principal);
      if (verdict.status === 401) reply.header('www-authenticate', 'Bearer');
      return reply.status(verdict.status).send(errorBody(verdict.code, verdict.message, verdict.details));
    }
    setPrincipal(request, verdict.principal);
    return undefined;
  };
  app.addHook('onRequest', guardRequest);
  installAuditHook(app, stepflow.app.audit);
  installErrorHandling(app, { notFoundGuard: guardRequest });
  addSecurityHeaders(app);
  installInputChecks(app);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'StepFlow API',
        version: VERSION,
        description: 'Run scripts as live, step-by-step executions.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      ...(options.apiKeys.length > 0 ? { security: [{ bearer: [] }] } : {}),
    },
  });
  // The API docs' routes come from a plugin that takes no per-route config: they are reads.
  await app.register(async (docs) => {
    declareScopeAccess(docs, 'server:read');
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      // No badge fetched from validator.swagger.io: the page's CSP allows only this server.
      uiConfig: { validatorUrl: null },
      uiHooks: {
        // The plugin redirects /docs/static/index.html to the same URL when it has a query string
        // (its pattern expects the path to end there): a redirect loop. Send it to the UI instead.
        onRequest: (request, reply, done) => {
          if (request.routeOptions.url === '/docs/static/index.html') reply.redirect('/docs/');
          else done();
        },
      },
    });
  });

  await registerRoutes(app, context);
  return app;
}

/** Each route module is a function of the app and the context; register new ones here. */
async function registerRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const ingest = createIngestMeter({ events: context.app.events });
  app.addHook('onClose', async () => ingest.close());
  await authRoutes(app, context);
  registerHealthRoutes(app, context, ingest);
  registerRetentionRoutes(app, context);
  registerPrometheusMetrics(app, context, ingest);
  await registerRemoteRoutes(app, context);
  await workersRoutes(app, context);
  await executionsRoutes(app, context);
  await jobsRoutes(app, context);
  await executionLogsRoutes(app, context);
  await executionEstimatesRoutes(app, context);
  await executionTrendsRoutes(app, context);
  await artifactDownloadRoutes(app, context);
  await statsRoutes(app, context);
  await artifactsListRoutes(app, context);
  await runSearchRoutes(app, context);
  await dataDirCareRoutes(app, context);
  await oidcRoutes(app, context);
  await usersRoutes(app, context);
  await tokensRoutes(app, context);
  await auditRoutes(app, context);
  await savedPipelinesRoutes(app, context);
  await pipelineRunsRoutes(app, context);
  hostRoutes(app, context);
  await environmentsRoutes(app, context);
  await projectsRoutes(app, context);
  await projectFilesRoutes(app, context);
  await registerWebUi(app);
}
