import { ERROR_CODES, notFound, StepflowError, validationError } from '../core/errors.js';
import { dependencyLevels } from '../core/pipelines/dependency-levels.js';
import { parsePipelineYaml } from '../core/pipelines/parse-pipeline-yaml.js';
import type { PipelineDefinition } from '../core/pipelines/pipeline-definition.js';
import type { SavedPipelineRecord, SavedPipelineStore } from '../store/saved-pipeline-store.js';

/** A checked pipeline file: its definition and the two figures validation reports. */
interface CheckedPipeline {
  definition: PipelineDefinition;
  nodes: number;
  /** Dependency levels: the longest chain of `needs`, the graph's columns. */
  levels: number;
}

/**
 * Pipeline files and saved pipelines (docs/PIPELINES.md): checking a YAML text, and the named texts
 * kept in the store. The name in the YAML is the key; nothing is stored that does not parse.
 */
export interface SavedPipelines {
  /** Parses and checks `yaml`; throws `validation_failed` naming each problem's line and column. */
  check(yaml: string): CheckedPipeline;
  list(): Promise<SavedPipelineRecord[]>;
  /** `not_found` when there is none by that name. */
  get(name: string): Promise<SavedPipelineRecord>;
  /** A saved pipeline's definition, parsed from its stored text (what a run of it starts from). */
  definition(name: string): Promise<PipelineDefinition>;
  /** Saves a new one under the YAML's name; `conflict` when the name is taken. */
  create(yaml: string): Promise<SavedPipelineRecord>;
  /**
   * Saves `yaml` as `name`, creating or replacing; the YAML's own name must be `name` (a rename
   * is a save under the new name and a delete of the old).
   */
  put(name: string, yaml: string): Promise<{ pipeline: SavedPipelineRecord; created: boolean }>;
  delete(name: string): Promise<void>;
}

/** Paths of the API beside `/api/pipelines/:name`: no saved pipeline may take one as its name. */
const RESERVED_NAMES = ['schema', 'validate', 'runs'];

export function createSavedPipelines({
  store,
  now = () => new Date(),
}: {
  store: SavedPipelineStore;
  now?: () => Date;
}): SavedPipelines {
  const check = (yaml: string): CheckedPipeline => {
    const definition = parsePipelineYaml(yaml);
    const levels = dependencyLevels(definition);
    return { definition, nodes: definition.nodes.length, levels: Math.max(-1, ...levels.values()) + 1 };
  };
  /** Checks a text to be saved: its definition, refused under a reserved name. */
  const checkToSave = (yaml: string): PipelineDefinition => {
    const { definition } = check(yaml);
    if (RESERVED_NAMES.includes(definition.name)) {
      throw validationError(
        `a pipeline cannot be saved as ${JSON.stringify(definition.name)}: the API uses /api/pipelines/${definition.name}; choose another name`,
        { field: 'name' },
      );
    }
    return definition;
  };
  const get = async (name: string): Promise<SavedPipelineRecord> => {
    const pipeline = await store.getSavedPipeline(name);
    if (pipeline === undefined) throw notFound('pipeline', name);
    return pipeline;
  };
  return {
    check,
    list: () => store.listSavedPipelines(),
    get,
    definition: async (name) => parsePipelineYaml((await get(name)).yaml),
    async create(yaml) {
      const definition = checkToSave(yaml);
      const created = await store.createSavedPipeline({
        name: definition.name,
        yaml,
        at: now().toISOString(),
      });
      if (created === undefined) {
        throw new StepflowError(
          ERROR_CODES.CONFLICT,
          `a pipeline named ${JSON.stringify(definition.name)} already exists (PUT /api/pipelines/${definition.name} replaces it)`,
        );
      }
      return created;
    },
    async put(name, yaml) {
      const definition = checkToSave(yaml);
      if (definition.name !== name) {
        throw validationError(
          `the YAML names the pipeline ${JSON.stringify(definition.name)}, not ${JSON.stringify(name)}: the name in the file is the key`,
          { field: 'name' },
        );
      }
      return store.putSavedPipeline({ name, yaml, at: now().toISOString() });
    },
    async delete(name) {
      if (!(await store.deleteSavedPipeline(name))) throw notFound('pipeline', name);
    },
  };
}
