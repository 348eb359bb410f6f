/**
 * A validator for request bodies that never coerces types. The app's Ajv coerces (query strings
 * and headers arrive as text), but in a JSON body `{"source_url": true}` or
 * `{"simulate": {"duration_ms": true}}` is a client's mistake to report, not to convert.
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

interface AjvLikeError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message: string;
}

/** TypeBox reports errors like Ajv; make the rest match what the error handler reads. */
function toAjvErrors(errors: Iterable<AjvLikeError>): AjvLikeError[] {
  const out: AjvLikeError[] = [];
  for (const e of errors) {
    // "schema is false" repeats the additionalProperties error that follows it.
    if (e.keyword === 'boolean') continue;
    if (e.keyword === 'additionalProperties' && Array.isArray(e.params.additionalProperties)) {
      for (const name of e.params.additionalProperties as unknown[]) {
        out.push({ ...e, params: { additionalProperty: String(name) } });
      }
      continue;
    }
    out.push(e);
  }
  return out;
}

/** Compiles a route's schemas with TypeBox: no coercion, no defaults, every error reported. */
export const strictValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema }) => {
  const compiled = Compile(schema as TSchema);
  const validate = (data: unknown): boolean => {
    if (compiled.Check(data)) return true;
    validate.errors = toAjvErrors(compiled.Errors(data) as Iterable<AjvLikeError>);
    return false;
  };
  validate.errors = [] as AjvLikeError[];
  return validate;
};
