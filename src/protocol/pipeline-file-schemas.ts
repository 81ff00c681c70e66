import { Type, type Static } from '@sinclair/typebox';
import {
  MAX_PIPELINE_NODES,
  MAX_PIPELINE_YAML_LENGTH,
  PIPELINE_NAME_PATTERN,
} from '../core/pipelines/parse-pipeline-yaml.js';

/**
 * TypeBox schemas of pipeline files and saved pipelines (`/api/pipelines/validate`,
 * `/api/pipelines[/:name]`, docs/PIPELINES.md). The YAML text travels as a string; the parser
 * (core/pipelines/parse-pipeline-yaml.ts) checks it and names each problem's line and column.
 */

export const PipelineYamlBodySchema = Type.Object(
  {
    yaml: Type.String({
      maxLength: MAX_PIPELINE_YAML_LENGTH,
      description: 'The pipeline file, as YAML text (docs/PIPELINES.md)',
    }),
  },
  { additionalProperties: false },
);

export const PipelineNameParamsSchema = Type.Object(
  { name: Type.String({ pattern: PIPELINE_NAME_PATTERN, maxLength: 100 }) },
  { additionalProperties: false },
);

const Figures = {
  nodes: Type.Integer({ minimum: 1, maximum: MAX_PIPELINE_NODES, description: 'How many nodes' }),
  levels: Type.Integer({
    minimum: 1,
    maximum: MAX_PIPELINE_NODES,
    description: 'Dependency levels: the longest chain of needs',
  }),
};

export const PipelineValidationSchema = Type.Object({
  ok: Type.Literal(true),
  name: Type.String(),
  ...Figures,
});

const Nullable = <T extends ReturnType<typeof Type.Integer>>(schema: T) =>
  Type.Union([schema, Type.Null()], {
    description: `${schema.description ?? ''}; null: the stored text no longer passes this version's checks (GET it, fix it, save it)`,
  });

const SavedPipelineFields = {
  name: Type.String(),
  nodes: Nullable(Figures.nodes),
  levels: Nullable(Figures.levels),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
};

export const SavedPipelineSchema = Type.Object({
  ...SavedPipelineFields,
  yaml: Type.String({ description: 'The text as saved, comments and layout kept' }),
});

export const SavedPipelineListSchema = Type.Object({ items: Type.Array(Type.Object(SavedPipelineFields)) });

export type SavedPipelineBody = Static<typeof SavedPipelineSchema>;
/** @public */
export type SavedPipelineListBody = Static<typeof SavedPipelineListSchema>;
