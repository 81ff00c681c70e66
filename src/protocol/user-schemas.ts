import { Type, type Static } from '@sinclair/typebox';
import { ROLES } from '../core/access.js';

const RoleSchema = Type.Union(ROLES.map((r) => Type.Literal(r)));

/** A user as the API shows it (`/api/users`): never a password or its hash. */
export const UserSchema = Type.Object({
  name: Type.String(),
  role: RoleSchema,
  /** ISO. */
  createdAt: Type.String(),
  /** A disabled user cannot sign in; its sessions and tokens stop working until enabled again. */
  disabled: Type.Boolean(),
});
export type UserJson = Static<typeof UserSchema>;

export const UserListSchema = Type.Object({ users: Type.Array(UserSchema) });

/** `POST /api/users`. */
export const CreateUserBodySchema = Type.Object(
  {
    name: Type.String({ maxLength: 64 }),
    role: Type.String({ maxLength: 32 }),
    password: Type.String({ maxLength: 1024 }),
  },
  { additionalProperties: false },
);

/** `PATCH /api/users/:name`: any of role, disabled, password. */
export const UpdateUserBodySchema = Type.Object(
  {
    role: Type.Optional(Type.String({ maxLength: 32 })),
    disabled: Type.Optional(Type.Boolean()),
    password: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const UserNameParamsSchema = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) });

/** A user's API token as the API shows it: never its secret. */
export const ApiTokenSchema = Type.Object({
  id: Type.String(),
  /** Its user's name. */
  user: Type.String(),
  name: Type.String(),
  /** ISO times; expiresAt null: never expires; lastUsedAt is recorded at most once a minute. */
  createdAt: Type.String(),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  revokedAt: Type.Union([Type.String(), Type.Null()]),
});
export type ApiTokenJson = Static<typeof ApiTokenSchema>;

export const ApiTokenListSchema = Type.Object({ tokens: Type.Array(ApiTokenSchema) });

/** `POST /api/tokens`. `user`: an admin creating a token for someone else (or the bootstrap key). */
export const CreateTokenBodySchema = Type.Object(
  {
    name: Type.String({ maxLength: 64 }),
    expiresAt: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
    user: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** The answer to `POST /api/tokens`: the secret, shown this once and never again. */
export const CreatedTokenSchema = Type.Object({
  token: ApiTokenSchema,
  /** `sft_…`: send it as `Authorization: Bearer <secret>`. Only its SHA-256 is stored. */
  secret: Type.String(),
});
export type CreatedTokenJson = Static<typeof CreatedTokenSchema>;

export const TokenListQuerySchema = Type.Object(
  { user: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })) },
  { additionalProperties: false },
);

export const TokenIdParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });
