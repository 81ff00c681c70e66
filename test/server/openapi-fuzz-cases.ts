import fc from 'fast-check';

/**
 * Request cases generated from an OpenAPI document: for every operation, its plain form (real ids,
 * a body that fits its schema) and then one mutation at a time: odd path ids, wrong types, boundary
 * and huge numbers (`1e309` as raw JSON text or query text), long strings, NUL bytes, unknown fields,
 * broken JSON. Deterministic: the only randomness (strings that fit a `pattern`, sampling when an
 * operation has too many cases) comes from fast-check with a fixed seed.
 */

interface JsonSchema {
  type?: string | string[];
  maximum?: number;
  maxLength?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  minItems?: number;
  pattern?: string;
  format?: string;
}

interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: JsonSchema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

export interface FuzzCase {
  /** What was changed, for the failure report. */
  label: string;
  method: string;
  /** Path with the query string. */
  url: string;
  body?: string;
  contentType?: string;
  /** An unknown field or parameter: must be answered with exactly 400. */
  mustBe400?: boolean;
}

export interface FuzzOptions {
  seed: number;
  /** Real ids to put into path parameters, chosen by the path (see `realIds`). */
  realIds: (path: string, param: string) => string;
  /**
   * Bodies that pass validation for some operations (`"POST /api/jobs"`), or functions making a new
   * one per case (so a create that passes does not just conflict with the last one); others are
   * generated from the schema.
   */
  seedBodies: Record<string, unknown>;
  /** At most this many cases per operation (sampled with the seed beyond it). */
  maxCasesPerOperation: number;
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];
/** Number cases as raw text: JSON.parse turns `1e309` into Infinity, which JSON.stringify cannot write. */
const RAW_NUMBERS = [
  '0',
  '-1',
  '2147483648',
  '9007199254740992',
  '1e309',
  '-1e309',
  '8e12',
  '1.5',
  '-0.000001',
];
const QUERY_NUMBERS = [...RAW_NUMBERS, 'NaN', 'Infinity', 'abc', '', '0x10', ' 5', '1e3'];
const ODD_IDS = [
  '0',
  '-1',
  '2147483648',
  '9007199254740993',
  '1e309',
  '8e12',
  'abc',
  'x'.repeat(300),
  '%00',
  'a%00b',
  '..',
  '%2e%2e',
  '%252e',
  '%F0%9F%98%80',
  '%FF',
  "'%3B%20DROP%20TABLE%20jobs%3B--",
];
const LONG = 'x'.repeat(70_000);
const HUGE_STRING = 'y'.repeat(3 * 1024 * 1024);
const UNKNOWN = '__fuzz_unknown';
const RAW = '\u0001raw:';

/** Every operation of the document, each as its cases; DELETE operations come last (they remove ids). */
export function fuzzCases(doc: OpenApiDocument, options: FuzzOptions): FuzzCase[] {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
  );
  operations.sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
  return operations.flatMap(({ path, method, operation }, index) => {
    const cases = operationCases(path, method, operation, options);
    if (cases.length <= options.maxCasesPerOperation) return cases;
    // Keep the plain case first; sample the rest.
    const [plain, ...rest] = cases;
    const sample = fc.sample(
      fc.shuffledSubarray(rest, {
        minLength: options.maxCasesPerOperation - 1,
        maxLength: options.maxCasesPerOperation - 1,
      }),
      { seed: options.seed + index, numRuns: 1 },
    )[0]!;
    return [plain!, ...sample];
  });
}

function operationCases(
  path: string,
  method: string,
  operation: Operation,
  options: FuzzOptions,
): FuzzCase[] {
  const params = operation.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const realPath = Object.fromEntries(pathParams.map((p) => [p.name, options.realIds(path, p.name)]));
  const baseQuery = Object.fromEntries(
    queryParams
      .filter((p) => p.required)
      .map((p) => [p.name, String(validValue(p.schema ?? {}, options.seed))]),
  );
  const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
  const seedBody = options.seedBodies[`${method} ${path}`];
  const baseBody = (): unknown =>
    bodySchema === undefined
      ? undefined
      : typeof seedBody === 'function'
        ? (seedBody as () => unknown)()
        : (seedBody ?? validValue(bodySchema, options.seed));

  const make = (
    label: string,
    changes: {
      path?: Record<string, string>;
      query?: Record<string, string | string[]>;
      body?: string | undefined;
      contentType?: string;
      mustBe400?: boolean;
    },
  ): FuzzCase => {
    const segments = { ...realPath, ...changes.path };
    const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => segments[name] ?? 'x');
    const query = changes.query ?? baseQuery;
    const search = Object.entries(query)
      .flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value]).map(
          (v) => `${encodeURIComponent(name)}=${encodeURIComponent(v)}`,
        ),
      )
      .join('&');
    const base = baseBody();
    const body = 'body' in changes ? changes.body : base === undefined ? undefined : encode(base);
    return {
      label: `${method} ${path} ${label}`,
      method,
      url: search === '' ? filled : `${filled}?${search}`,
      ...(body !== undefined ? { body, contentType: changes.contentType ?? 'application/json' } : {}),
      ...(changes.mustBe400 ? { mustBe400: true } : {}),
    };
  };

  const cases: FuzzCase[] = [make('as documented', {})];
  // Odd ids, one path parameter at a time (already percent-encoded where it matters).
  for (const param of pathParams) {
    for (const odd of ODD_IDS)
      cases.push(make(`path ${param.name}=${odd.slice(0, 40)}`, { path: { [param.name]: odd } }));
  }
  // Query parameters: bad values one at a time, then an unknown one.
  for (const param of queryParams) {
    for (const value of queryValues(param.schema ?? {})) {
      cases.push(
        make(`query ${param.name}=${preview(value)}`, { query: { ...baseQuery, [param.name]: value } }),
      );
    }
  }
  cases.push(make('unknown query parameter', { query: { ...baseQuery, [UNKNOWN]: '1' }, mustBe400: true }));

  if (method === 'GET') return cases;
  if (bodySchema === undefined) {
    const rawType = Object.keys(operation.requestBody?.content ?? {})[0];
    if (rawType !== undefined) {
      // A raw body (an upload): some bytes, and JSON where bytes are expected.
      cases.push(make(`raw ${rawType} body`, { body: 'some bytes', contentType: rawType }));
      cases.push(make('JSON instead of a raw body', { body: JSON.stringify({ [UNKNOWN]: 1 }) }));
    } else {
      // A route that takes no body must not accept one with fields in it.
      cases.push(make('unexpected body field', { body: JSON.stringify({ [UNKNOWN]: 1 }), mustBe400: true }));
    }
    return cases;
  }
  // Whole-body cases.
  const wholeBodies: [string, string | undefined, string?][] = [
    ['no body', undefined],
    ['empty body', ''],
    ['invalid JSON', '{"a":'],
    ['JSON null', 'null'],
    ['JSON array', '[]'],
    ['JSON string', '"x"'],
    ['JSON number 1e309', '1e309'],
    ['deeply nested JSON', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['prototype pollution', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'],
    ['text/plain body', 'echo hi', 'text/plain'],
    ['over the body limit', HUGE_STRING.repeat(4)],
  ];
  for (const [label, body, contentType] of wholeBodies) {
    cases.push(make(label, { body, ...(contentType ? { contentType } : {}) }));
  }
  for (const location of locations(bodySchema, baseBody(), [], 0)) {
    for (const [label, value, mustBe400] of mutations(location, options.seed)) {
      const mutated = setAt(baseBody(), location.path, value);
      cases.push(
        make(`body ${location.path.join('.') || '(root)'} ${label}`, {
          body: encode(mutated),
          ...(mustBe400 ? { mustBe400: true } : {}),
        }),
      );
    }
  }
  return cases;
}

function queryValues(schema: JsonSchema): (string | string[])[] {
  const types = typesOf(schema);
  const values: (string | string[])[] = [];
  if (types.has('integer') || types.has('number')) values.push(...QUERY_NUMBERS);
  if (types.has('string')) values.push('', 'a\u0000b', 'x'.repeat(8000), 'nope', '../..', '%');
  if (types.has('boolean')) values.push('maybe', '2');
  if (types.has('array')) {
    values.push(
      Array.from({ length: 200 }, (_, i) => `v${i}`),
      ['', ''],
      ['a\u0000b'],
      ['x'.repeat(4000)],
    );
    for (const item of queryValues(schema.items ?? {})) if (typeof item === 'string') values.push([item]);
  }
  return values;
}

interface Location {
  path: (string | number)[];
  schema: JsonSchema;
  /** What the base body holds there (undefined when the property is absent). */
  value: unknown;
}

/** Every place in a body worth mutating: each property (present or not), the first item of arrays. */
function locations(schema: JsonSchema, value: unknown, path: (string | number)[], depth: number): Location[] {
  const here: Location[] = [{ path, schema, value }];
  if (depth > 4) return here;
  const object = objectSchemaOf(schema);
  if (object?.properties) {
    const current = isRecord(value) ? value : {};
    for (const [name, child] of Object.entries(object.properties)) {
      here.push(...locations(child, current[name], [...path, name], depth + 1));
    }
  }
  const array = arraySchemaOf(schema);
  if (array?.items) {
    here.push(
      ...locations(array.items, Array.isArray(value) ? value[0] : undefined, [...path, 0], depth + 1),
    );
  }
  return here;
}

type Mutation = [label: string, value: unknown, mustBe400?: boolean];

function mutations({ schema, path, value }: Location, seed: number): Mutation[] {
  const types = typesOf(schema);
  const list: Mutation[] = [];
  if (!types.has('string')) list.push(['wrong type: string', 'text']);
  if (!types.has('number') && !types.has('integer')) list.push(['wrong type: number', 12345]);
  if (!types.has('boolean')) list.push(['wrong type: boolean', true]);
  if (!types.has('null')) list.push(['wrong type: null', null]);
  if (!types.has('object')) list.push(['wrong type: object', {}]);
  if (!types.has('array')) list.push(['wrong type: array', []]);
  if (types.has('number') || types.has('integer')) {
    for (const raw of RAW_NUMBERS) list.push([`number ${raw}`, `${RAW}${raw}`]);
  }
  if (types.has('string')) {
    list.push(['empty string', ''], ['NUL byte', 'a\u0000b'], ['70k string', LONG]);
    list.push(['control characters', '\u0007\u001b[31m\r\n\t']);
    // Big bodies cost time: only on top-level fields.
    if (path.length === 1) list.push(['3 MiB string', HUGE_STRING]);
  }
  if (types.has('array')) {
    const item = validValue(arraySchemaOf(schema)?.items ?? {}, seed);
    list.push(['1001 items', Array.from({ length: 1001 }, () => item)]);
  }
  const object = objectSchemaOf(schema);
  if (object !== undefined) {
    if (object.additionalProperties === false) {
      const known = isRecord(value) ? value : (validValue(object, seed) as Record<string, unknown>);
      list.push(['unknown field', { ...known, [UNKNOWN]: 1 }, true]);
    } else {
      // A map: odd keys.
      for (const key of ['', '=', 'A=B', 'K\u0000', 'k'.repeat(1000)])
        list.push([`map key ${preview(key)}`, { [key]: 'v' }]);
      list.push(['2000 entries', Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`K${i}`, 'v']))]);
    }
  }
  return list;
}

/** A value that fits the schema, as simple as can be (patterns through fast-check, with the seed). */
function validValue(schema: JsonSchema, seed: number): unknown {
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum !== undefined) return schema.enum[0];
  if (schema.anyOf !== undefined) {
    const notNull = schema.anyOf.find((s) => !typesOf(s).has('null'));
    return notNull === undefined ? null : validValue(notNull, seed);
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const required = new Set(schema.required ?? []);
      return Object.fromEntries(
        Object.entries(schema.properties ?? {})
          .filter(([name]) => required.has(name))
          .map(([name, child]) => [name, validValue(child, seed)]),
      );
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => validValue(schema.items ?? {}, seed));
    case 'string':
      if (schema.format === 'date-time') return new Date().toISOString();
      if (schema.pattern !== undefined) {
        return fc.sample(fc.stringMatching(new RegExp(schema.pattern)), { seed, numRuns: 1 })[0];
      }
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 1);
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return 'x';
  }
}

function setAt(base: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  const container = (
    typeof head === 'number' ? [...(Array.isArray(base) ? base : [])] : { ...(isRecord(base) ? base : {}) }
  ) as Record<string | number, unknown>;
  const current = container[head!];
  container[head!] = setAt(current, rest, value);
  return container;
}

/** JSON text, with `RAW` strings written as the raw number text they carry. */
function encode(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0001raw:([^"]*)"/g, '$1');
}

function typesOf(schema: JsonSchema): Set<string> {
  const types = new Set<string>();
  if (schema.type !== undefined) for (const t of [schema.type].flat()) types.add(t);
  if (schema.enum !== undefined && schema.type === undefined) types.add('string');
  for (const option of schema.anyOf ?? []) for (const t of typesOf(option)) types.add(t);
  if (types.has('integer')) types.add('number');
  return types;
}

function objectSchemaOf(schema: JsonSchema): JsonSchema | undefined {
  if (typesOf(schema).has('object') && schema.type !== undefined) return schema;
  return schema.anyOf?.find((s) => s.type === 'object');
}

function arraySchemaOf(schema: JsonSchema): JsonSchema | undefined {
  if (schema.type === 'array') return schema;
  return schema.anyOf?.find((s) => s.type === 'array');
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const preview = (value: string | string[]): string => JSON.stringify(value).slice(0, 40);

/**
 * Where a request (path, query or JSON body) takes a number without a minimum and a maximum, a
 * string without a maxLength (or enum/pattern), or a list without maxItems: `"POST /api/jobs body.timeout"`.
 */
export function unboundedInputs(doc: OpenApiDocument): string[] {
  const found: string[] = [];
  const walk = (schema: JsonSchema | undefined, where: string): void => {
    if (schema === undefined) return;
    const types = new Set([schema.type ?? []].flat());
    const hasMinimum = schema.minimum !== undefined || schema.exclusiveMinimum !== undefined;
    if ((types.has('number') || types.has('integer')) && (schema.maximum === undefined || !hasMinimum)) {
      found.push(`${where}: number without a range`);
    }
    if (types.has('string') && schema.maxLength === undefined && !schema.enum && !schema.pattern) {
      found.push(`${where}: string without maxLength`);
    }
    if (types.has('array') && schema.maxItems === undefined) found.push(`${where}: list without maxItems`);
    for (const [name, child] of Object.entries(schema.properties ?? {})) walk(child, `${where}.${name}`);
    walk(schema.items, `${where}[]`);
    if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties, `${where}{}`);
    for (const option of schema.anyOf ?? []) walk(option, where);
  };
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const route = `${method.toUpperCase()} ${path}`;
      for (const param of operation.parameters ?? [])
        walk(param.schema, `${route} ${param.in}.${param.name}`);
      walk(operation.requestBody?.content?.['application/json']?.schema, `${route} body`);
    }
  }
  return found;
}
