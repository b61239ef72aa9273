import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { Cli } from '../context.js';
import { CliError, EXIT } from '../errors.js';

/** AWS's longest presigned URL: 7 days. */
const MAX_EXPIRES = 604_800;

/** Tries the desktop's opener; the URL is printed either way, so failing here is only a note. */
function openInBrowser(url: string): Promise<string | undefined> {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('error', (error) => resolve(`could not open a browser (${command}: ${error.message})`));
    child.once('spawn', () => {
      child.unref();
      resolve(undefined);
    });
  });
}

export function consoleCommands(program: Command, cli: Cli): void {
  program
    .command('console')
    .description(
      'A presigned URL of the console page (endpoints, shadow tests, registry, monitoring), signed with your credentials',
    )
    .option(
      '--expires <seconds>',
      `how long the URL (and the page's report links) work, at most ${MAX_EXPIRES}`,
      '900',
    )
    .option('--open', 'also open it in the default browser')
    .addHelpText(
      'after',
      '\nExamples:\n  understudy console --open\n  understudy console --expires 3600 --json',
    )
    .action(async (options: { expires: string; open?: boolean }, command: Command) => {
      const expires = Number(options.expires);
      if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES) {
        throw new CliError(
          `--expires must be a whole number of seconds from 1 to ${MAX_EXPIRES}`,
          EXIT.usage,
        );
      }
      const client = cli.client(command);
      const out = cli.output(command);
      const { url, expiresAt } = await client.consoleUrl(expires);
      const note = options.open ? await openInBrowser(url) : undefined;
      if (note) cli.io.stderr(`${note}\n`);
      out.result({ Url: url, ExpiresAt: expiresAt.toISOString() }, () => out.line(url));
    });
}
