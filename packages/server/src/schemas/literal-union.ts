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
