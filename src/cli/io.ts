// What every command writes to, and the exit codes it returns.

/** Exit codes, as the README's command-line section lists them. */
export const EXIT_OK = 0;
export const EXIT_REJECTED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
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
