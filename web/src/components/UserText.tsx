import { cleanName } from '../../../src/format/text.js';

/**
 * Text a user or a capture chose (a session, file or host name, an error quoting one), isolated
 * from the text around it (`<bdi>`: right-to-left letters cannot reorder a neighbour) and without
 * bidi controls (an override would show "x\u202Egpj.exe" as "xexe.jpg").
 */
export function UserText({ text }: { text: string }) {
  return <bdi>{cleanName(text)}</bdi>;
}
