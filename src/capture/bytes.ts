// Unchecked integer reads: callers check bounds once per record or header, not per field.

export function u16le(b: Uint8Array, p: number): number {
  return b[p] | (b[p + 1] << 8);
}
export function u16be(b: Uint8Array, p: number): number {
  return (b[p] << 8) | b[p + 1];
}
export function u32le(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 0x1000000;
}
export function u32be(b: Uint8Array, p: number): number {
  return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
}
export function u16(b: Uint8Array, p: number, le: boolean): number {
  return le ? u16le(b, p) : u16be(b, p);
}
export function u32(b: Uint8Array, p: number, le: boolean): number {
  return le ? u32le(b, p) : u32be(b, p);
}
export function hex(b: Uint8Array, p: number, n: number): string {
  const out: string[] = [];
  for (let i = p; i < p + n && i < b.length; i++) out.push(b[i].toString(16).padStart(2, '0'));
  return out.join(' ');
}
