import { terminalText } from '../format/text.js';
import { DbError } from '../storage/db/db.js';
import { UsageError } from './args.js';
import { type CliIo, type Command, EXIT_OK, EXIT_REJECTED, EXIT_USAGE, terminalSafe } from './io.js';

const isTty = (s: NodeJS.WritableStream) => 'isTTY' in s && (s as NodeJS.WriteStream).isTTY === true;

import { COMMANDS, commandUsage, USAGE } from './usage.js';

export { type CliIo, EXIT_OK, EXIT_REJECTED, EXIT_USAGE } from './io.js';

/**
 * Each command's module, loaded only when that command runs: `flowlens --help` loads none, and
 * `analyze --no-store` loads no server and no database driver.
 */
const COMMAND_MODULES: Record<string, () => Promise<{ run: Command }>> = {
  analyze: () => import('./commands/analyze.js'),
  sessions: () => import('./commands/sessions.js'),
  show: () => import('./commands/show.js'),
  delete: () => import('./commands/delete.js'),
  export: () => import('./commands/export.js'),
  packets: () => import('./commands/packets.js'),
  search: () => import('./commands/search.js'),
  serve: () => import('./commands/serve.js'),
  demo: () => import('./commands/demo.js'),
  worker: () => import('./commands/worker.js'),
};

export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  // The progress bar draws on stderr with its own escapes: only stdout is filtered whole, and
  // error lines (which name sessions and files) are cleaned one by one.
  io = { stdin: io.stdin, stdout: terminalSafe(io.stdout), stderr: io.stderr };
  const err = (line: string) =>
    io.stderr.write(`flowlens: ${isTty(io.stderr) ? terminalText(line) : line}\n`);
  try {
    const [command, ...rest] = argv;
    if (rest.includes('--help') || rest.includes('-h')) {
      const usage = commandUsage(command);
      if (usage) {
        io.stdout.write(usage);
        return EXIT_OK;
      }
    }
    if (command !== undefined && COMMANDS.includes(command)) {
      const { run } = await COMMAND_MODULES[command]();
      return await run(rest, io, err);
    }
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.stdout.write(USAGE);
      return command === undefined ? EXIT_USAGE : EXIT_OK;
    }
    throw new UsageError(`unknown command '${command}' (try 'flowlens help')`);
  } catch (e) {
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      // Node's parser adds lines of advice: the first says what is wrong.
      err(`${(e as Error).message.split('\n')[0]} (try 'flowlens ${argv[0] ?? 'help'} --help')`);
      return EXIT_USAGE;
    }
    if (e instanceof DbError) {
      err(e.message);
      return EXIT_REJECTED;
    }
    err(`internal error: ${(e as Error).message}`);
    if (process.env.FLOWLENS_DEBUG) io.stderr.write(`${(e as Error).stack}\n`);
    return EXIT_REJECTED;
  }
}
