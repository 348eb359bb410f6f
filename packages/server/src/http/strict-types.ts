/**
 * A type check for JSON bodies that runs before the app's Ajv, which coerces types (query strings
 * and headers arrive as text). In a JSON body `{"source_url": true}` or
 * `{"simulate": {"duration_ms": true}}` is a client's mistake to report, not to convert — so every
 * `type` the schema names is checked as sent; Ajv then checks the rest and has nothing to coerce.
 */

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

/** One error in Ajv's shape, as the error handler reads them. */
export interface TypeProblem {
  keyword: 'type';
  instancePath: string;
  schemaPath: string;
  params: { type: string };
  message: string;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      return true;
  }
}

/** Every place where `value` has another JSON type than the (JSON) `schema` names. */
export function typeErrors(jsonSchema: unknown, value: unknown, path = ''): TypeProblem[] {
  const schema = jsonSchema as SchemaNode;
  if (schema.type !== undefined && !hasType(value, schema.type)) {
    return [
      {
        keyword: 'type',
        instancePath: path,
        schemaPath: '#',
        params: { type: schema.type },
        message: `must be ${schema.type}`,
      },
    ];
  }
  const errors: TypeProblem[] = [];
  if (schema.properties && typeof value === 'object' && value !== null) {
    for (const [name, child] of Object.entries(schema.properties)) {
      const v = (value as Record<string, unknown>)[name];
      if (v !== undefined) errors.push(...typeErrors(child, v, `${path}/${name}`));
    }
  }
  if (schema.items && Array.isArray(value)) {
    value.forEach((v, i) => errors.push(...typeErrors(schema.items, v, `${path}/${i}`)));
  }
  return errors;
}
