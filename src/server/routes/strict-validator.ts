import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, ValueErrorType, type ValueError } from '@sinclair/typebox/compiler';
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
    // A union's own message ("Expected union value") says nothing; its description says what fits.
    message:
      first.type === ValueErrorType.Union && typeof first.schema.description === 'string'
        ? `must be ${first.schema.description}`
        : first.message.replace(/^Expected/, 'must be'),
  };
}
