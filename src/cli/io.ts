// What every command writes to, and the exit codes it returns.

import { terminalText } from '../format/text.js';

/** Exit codes, as the README's command-line section lists them. */
export const EXIT_OK = 0;
export const EXIT_REJECTED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  /** Where `analyze -` reads a capture (process.stdin when absent). */
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

/** Writes one line to stderr as `flowlens: line`. */
export type ErrorLine = (line: string) => void;

/** A command: its arguments (after the command's name) in, an exit code out. */
export type Command = (args: string[], io: CliIo, err: ErrorLine) => Promise<number>;

/** Whether a progress bar can be drawn: a terminal on stderr, and no JSON asked for. */
export function wantsProgressBar(io: CliIo, json: boolean): boolean {
  return !json && 'isTTY' in io.stderr && io.stderr.isTTY === true;
}

function isTerminal(s: NodeJS.WritableStream): boolean {
  return 'isTTY' in s && (s as NodeJS.WriteStream).isTTY === true;
}

/**
 * Output for a terminal: everything written goes through terminalText, so a session name or a
 * name from a capture holding ESC sequences cannot retitle the window or rewrite lines. A file or
 * pipe gets the bytes exactly as they are (exports stay byte-exact). Output is text throughout.
 */
export function terminalSafe<S extends NodeJS.WritableStream>(stream: S): S {
  if (!isTerminal(stream)) return stream;
  return new Proxy(stream, {
    get(target, prop, receiver) {
      if (prop !== 'write') return Reflect.get(target, prop, receiver);
      return (chunk: string | Uint8Array, ...rest: unknown[]) =>
        (target.write as (c: string, ...r: unknown[]) => boolean)(
          terminalText(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')),
          ...rest,
        );
    },
  });
}
