import { Type } from '@sinclair/typebox';
import { ENVIRONMENT_STATES } from '../core/environments.js';
import { MAX_TIMEOUT_SECONDS } from '../core/input-limits.js';
import { ExecutionSchema } from './api-schemas.js';
import { RetentionPolicyInputSchema, RetentionPolicySchema } from './retention-schemas.js';

const UrlList = Type.Array(Type.String({ minLength: 1, maxLength: 2048 }), { maxItems: 20 });
const EnvMap = Type.Record(Type.String({ minLength: 1, maxLength: 256 }), Type.String({ maxLength: 65536 }), {
  maxProperties: 500,
});

/** `GET /api/settings` (docs/WORKSPACE-ENVIRONMENTS.md). */
export const SettingsSchema = Type.Object({
  /**
   * The Python package index environment builds install from (a PyPI mirror); null: pip's default.
   * A password in it (or in an extra index URL) shows as `***`.
   */
  pythonIndexUrl: Type.Union([Type.String(), Type.Null()]),
  pythonExtraIndexUrls: Type.Array(Type.String()),
  pythonTrustedHosts: Type.Array(Type.String()),
  /** Variables every run gets; a run's own `env` wins. */
  env: Type.Record(Type.String(), Type.String()),
  /** The names of the secret variables every run gets, masked in its log (values are never returned). */
  secretEnvNames: Type.Array(Type.String()),
  /** Seconds a run without a timeout of its own gets when submitted; null: none. */
  defaultTimeoutSeconds: Type.Union([Type.Integer(), Type.Null()]),
  /** The global retention policy's defaults (docs/RETENTION.md); `{}` keeps everything. */
  retention: RetentionPolicySchema,
  /** The limits the server's environment sets (`STEPFLOW_RETENTION_*`): they win over `retention`'s. */
  retentionFromEnvironment: RetentionPolicySchema,
});

/** `PUT /api/settings`: the fields given replace the stored ones (`env` as a whole map). */
export const UpdateSettingsBodySchema = Type.Object(
  {
    pythonIndexUrl: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 2048 }), Type.Null()])),
    pythonExtraIndexUrls: Type.Optional(UrlList),
    pythonTrustedHosts: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 260 }), { maxItems: 20 }),
    ),
    env: Type.Optional(EnvMap),
    /** Merged by name: a value sets (or replaces) one, null removes it, names not given stay. */
    secretEnv: Type.Optional(
      Type.Record(
        Type.String({ minLength: 1, maxLength: 256 }),
        Type.Union([Type.String({ maxLength: 65536 }), Type.Null()]),
        { maxProperties: 500 },
      ),
    ),
    defaultTimeoutSeconds: Type.Optional(
      Type.Union([Type.Integer({ minimum: 1, maximum: MAX_TIMEOUT_SECONDS }), Type.Null()]),
    ),
    /** Replaces the stored retention defaults as a whole; `{}` keeps everything. */
    retention: Type.Optional(RetentionPolicyInputSchema),
  },
  { additionalProperties: false },
);

/** A Python environment as the API shows it. */
export const EnvironmentSchema = Type.Object({
  name: Type.String(),
  interpreter: Type.String(),
  requirements: Type.Array(Type.String()),
  state: Type.Union(ENVIRONMENT_STATES.map((state) => Type.Literal(state))),
  /** Bumped by each reset: every host builds a fresh copy afterwards. */
  generation: Type.Integer(),
  /** The execution of the last build (its log has pip's output); null before the first. */
  lastBuildId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const EnvironmentListSchema = Type.Object({ environments: Type.Array(EnvironmentSchema) });

const Requirements = Type.Array(Type.String({ minLength: 1, maxLength: 1000 }), { maxItems: 500 });
const Interpreter = Type.String({ minLength: 1, maxLength: 64 });

/** `POST /api/environments`. */
export const CreateEnvironmentBodySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 64 }),
    interpreter: Type.Optional(Interpreter),
    requirements: Type.Optional(Requirements),
  },
  { additionalProperties: false },
);

/** `PATCH /api/environments/:name`. */
export const UpdateEnvironmentBodySchema = Type.Object(
  { interpreter: Type.Optional(Interpreter), requirements: Type.Optional(Requirements) },
  { additionalProperties: false, minProperties: 1 },
);

export const EnvironmentParamsSchema = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });

/** `POST /api/environments/:name/build`: the environment, now `building`, and its build's execution. */
export const EnvironmentBuildSchema = Type.Object({
  environment: EnvironmentSchema,
  execution: ExecutionSchema,
});
