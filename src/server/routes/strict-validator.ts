import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, ValueErrorType, type ValueError } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';

/**
 * Validates a route's inputs without type coercion. The app's Ajv coerces (right for query strings,
 * where everything is a string), but in a JSON body `{"command": 42}` or `{"argv": "ls"}` is a
 * client bug to report, not to guess around. Issues come out Ajv-shaped, so the one error handler
 * names the field. Only for routes whose params and query strings are plain strings.
 */
export const strictValidator: FastifySchemaCompiler<unknown> = ({ schema }) => {
  // Route schemas here are TypeBox schemas; Fastify types this hook with the whole route schema.
  const check = TypeCompiler.Compile(schema as TSchema);
  return (value: unknown) => {
    if (check.Check(value)) return { value };
    return { error: [describeFirstError(check.Errors(value).First())] };
  };
};

function describeFirstError(first: ValueError | undefined): FastifySchemaValidationError {
  if (first === undefined)
    return { keyword: 'type', instancePath: '', schemaPath: '', params: {}, message: 'is invalid' };
  const inner = objectBranchError(first);
  if (inner !== undefined) return describeFirstError({ ...inner, path: `${first.path}${inner.path}` });
  const slash = first.path.lastIndexOf('/');
  if (first.type === ValueErrorType.ObjectAdditionalProperties) {
    return {
      keyword: 'additionalProperties',
      instancePath: first.path.slice(0, slash),
      schemaPath: '',
      params: { additionalProperty: first.path.slice(slash + 1) },
      message: 'must NOT have additional properties',
    };
  }
  return {
    keyword: ValueErrorType[first.type],
    instancePath: first.path,
    schemaPath: '',
    params: {},
    message: messageOf(first),
  };
}

/**
 * An object given where an object or null fits (`"retention": {"days": -1}`): the object's own first
 * error, which names the field inside (`body.retention.days`), says more than "must be a union".
 */
function objectBranchError({ type, schema, value }: ValueError): ValueError | undefined {
  if (type !== ValueErrorType.Union || typeof value !== 'object' || value === null) return undefined;
  // Only object-or-null: a union with other shapes (env as a map or a list) keeps its own message.
  const branches = (schema.anyOf ?? []) as TSchema[];
  const objects = branches.filter((branch) => branch.type === 'object');
  const [branch] = objects;
  const objectOrNull = branches.every((b) => b.type === 'object' || b.type === 'null');
  return objectOrNull && objects.length === 1 && branch ? Value.Errors(branch, value).First() : undefined;
}

/** Range errors say the whole range in words, as the job validator does; the rest keep TypeBox's text. */
function messageOf({ type, schema, message, value }: ValueError): string {
  const limit = (keyword: string) => String(schema[keyword]);
  switch (type) {
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
    case ValueErrorType.NumberExclusiveMaximum:
    case ValueErrorType.IntegerExclusiveMaximum:
      return `${rangeOf(schema)}, got ${String(value)}`;
    case ValueErrorType.Integer:
      return 'must be a whole number';
    case ValueErrorType.StringMaxLength:
      return `must have a length of at most ${limit('maxLength')} characters`;
    case ValueErrorType.StringMinLength:
      return `must have a length of at least ${limit('minLength')} character${schema.minLength === 1 ? '' : 's'}`;
    case ValueErrorType.ArrayMaxItems:
      return `must have at most ${limit('maxItems')} items`;
    case ValueErrorType.ArrayMinItems:
      return `must have at least ${limit('minItems')} item${schema.minItems === 1 ? '' : 's'}`;
    case ValueErrorType.ObjectMaxProperties:
      return `must have at most ${limit('maxProperties')} entries`;
    case ValueErrorType.Union:
      // A union's own message ("Expected union value") says nothing; its description says what fits.
      if (typeof schema.description === 'string') return `must be ${schema.description}`;
  }
  return message.replace(/^Expected/, 'must be');
}

/** "must be a whole number from 1 to 100", "must be greater than 0 and at most 2592000"… */
function rangeOf(schema: ValueError['schema']): string {
  const what = schema.type === 'integer' ? 'a whole number ' : '';
  const { minimum, exclusiveMinimum, maximum, exclusiveMaximum } = schema as Record<
    string,
    number | undefined
  >;
  if (minimum !== undefined && maximum !== undefined) return `must be ${what}from ${minimum} to ${maximum}`;
  const low =
    minimum !== undefined
      ? `at least ${minimum}`
      : exclusiveMinimum !== undefined
        ? `greater than ${exclusiveMinimum}`
        : '';
  const high =
    maximum !== undefined
      ? `at most ${maximum}`
      : exclusiveMaximum !== undefined
        ? `less than ${exclusiveMaximum}`
        : '';
  return `must be ${what}${[low, high].filter(Boolean).join(' and ')}`;
}
