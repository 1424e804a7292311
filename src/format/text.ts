/**
 * Text a user or a capture supplied, made safe where it goes: stored names (no NUL, which
 * PostgreSQL text cannot hold; no control or bidi characters, which rewrite what is around them)
 * and terminals (no escape sequences). One place, so every name is cleaned the same way.
 *
 * No imports: the dashboard may bundle this module as it is.
 */

/** C0 controls, DEL and C1 controls: never part of a name, and a terminal acts on them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/**
 * Bidirectional formatting characters (embeddings, overrides, isolates, marks): "pcap\u202Egpj.exe"
 * shows as "pcapexe.jpg". A name needs none of them to show right inside an isolate.
 */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** A UTF-16 half without its other half: no UTF-8 encodes it, so a database would refuse it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A name to store and show: tabs and line breaks become spaces, other control characters and bidi
 * controls are dropped, a lone surrogate becomes U+FFFD, spaces at the ends are trimmed.
 */
export function cleanName(s: string): string {
  return s
    .replace(/[\t\n\r\v\f]/g, ' ')
    .replace(CONTROL, '')
    .replace(BIDI, '')
    .replace(LONE_SURROGATE, '\uFFFD')
    .trim();
}

/** The first control character of `s` as "U+0000", or null: a parameter holding one is refused. */
export function controlCharacter(s: string): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  const m = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(s);
  return m ? `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` : null;
}

const TERMINAL_UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text for a terminal: every control character except the line break (ESC, CR, BEL, C1 controls
 * such as CSI) and every bidi control becomes U+FFFD, so a name cannot retitle the window, move
 * the cursor or rewrite earlier lines.
 */
export function terminalText(s: string): string {
  return s.replace(TERMINAL_UNSAFE, '\uFFFD');
}
