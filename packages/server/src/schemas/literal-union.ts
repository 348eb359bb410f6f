/** A union of string literals that also types as one (`Type.Union` over a mapped array types as `never`). */
import { Type, type TUnsafe } from 'typebox';

export function literalUnion<const T extends readonly string[]>(
  values: T,
  options: Record<string, unknown> = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>(
    Type.Union(
      values.map((v) => Type.Literal(v)),
      options,
    ),
  );
}

/**
 * One of some strings, as a plain `enum` — for responses: the serializer writes a string for it
 * directly, where an `anyOf` of literals has every answer checked by a validator (compiled on the
 * route's first answer: a stall of tens of milliseconds, then a cost on every answer).
 */
export function stringEnum<const T extends readonly string[]>(
  values: T,
  options: Record<string, unknown> = {},
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}
