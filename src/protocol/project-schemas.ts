import { Type, type Static } from '@sinclair/typebox';
import { PROJECT_VERSION_SOURCES } from '../core/projects.js';

/** Projects' wire shapes (docs/WORKSPACE.md): the API, `stepflow projects --json`, the dashboard. */

const Name = Type.String({ minLength: 1, maxLength: 64, description: 'Letters, digits, ".", "_", "-"' });

export const ProjectSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  currentVersion: Type.Integer({ description: 'The version runs use and the next edit starts from' }),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type ProjectJson = Static<typeof ProjectSchema>;

export const ProjectVersionSchema = Type.Object({
  version: Type.Integer(),
  createdAt: Type.String(),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  source: Type.Union(PROJECT_VERSION_SOURCES.map((source) => Type.Literal(source))),
  note: Type.Union([Type.String(), Type.Null()], { description: 'What an edit changed' }),
  files: Type.Integer(),
  bytes: Type.Integer(),
});
export type ProjectVersionJson = Static<typeof ProjectVersionSchema>;

export const ProjectListSchema = Type.Object({ projects: Type.Array(ProjectSchema) });
export const ProjectVersionListSchema = Type.Object({ versions: Type.Array(ProjectVersionSchema) });

export const ProjectParamsSchema = Type.Object({ name: Name });
/** A version by the project's id (what a worker fetches: ids are never reused, names may be). */
export const ProjectVersionByIdParamsSchema = Type.Object({
  name: Type.String({
    pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
    description: "The project's id",
  }),
  version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
});
const FilePath = Type.String({
  minLength: 1,
  maxLength: 1024,
  description: 'The path inside the project: a/b.txt',
});
export const FileQuerySchema = Type.Object({ path: FilePath }, { additionalProperties: false });
export const FileVersionQuerySchema = Type.Object(
  {
    path: FilePath,
    version: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Default: the current version' }),
    ),
  },
  { additionalProperties: false },
);

export const CreateProjectBodySchema = Type.Object({ name: Name }, { additionalProperties: false });
export const RollbackBodySchema = Type.Object(
  { version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) },
  { additionalProperties: false },
);
export const MoveFileBodySchema = Type.Object(
  {
    from: Type.String({ minLength: 1, maxLength: 1024 }),
    to: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  { additionalProperties: false },
);

export const VersionQuerySchema = Type.Object(
  {
    version: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Default: the current version' }),
    ),
  },
  { additionalProperties: false },
);

export const ProjectTreeSchema = Type.Object({
  version: Type.Integer(),
  entries: Type.Array(
    Type.Object({
      path: Type.String(),
      type: Type.Union([Type.Literal('file'), Type.Literal('directory')]),
      size: Type.Integer(),
      modifiedAt: Type.String(),
    }),
  ),
});

export const FileWrittenSchema = Type.Object({
  version: ProjectVersionSchema,
  etag: Type.String({ description: 'The file’s new etag (also in the ETag header)' }),
});
