/** The typed arrays the growing tables keep their columns in. */
type Column = Int32Array | Uint32Array | Uint8Array | Float64Array;

/**
 * A new array of the same type and `length` elements holding `a`'s values first (the rest 0):
 * how every table here grows a column. `length` is at least `a.length`.
 */
export function grown<T extends Column>(a: T, length: number): T {
  const b = new (a.constructor as new (length: number) => T)(length);
  (b as Column).set(a);
  return b;
}
