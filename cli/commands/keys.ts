import type { Command } from 'commander';
import { type Cli, collect } from '../context.js';
import { time } from '../output.js';

interface AccessKey {
  AccessKeyId: string;
  SecretAccessKey?: string;
  Role: string;
  EndpointNames?: string[];
  Description?: string;
  CreationTime: number;
}

export function keyCommands(program: Command, cli: Cli): void {
  const keys = program.command('keys').description("Access keys for Understudy's API (admin only)");

  keys
    .command('create')
    .description('Issue a key; its secret is shown this once')
    .requiredOption('-r, --role <role>', 'admin, deployer, invoker or viewer')
    .option('-e, --endpoint <name>', 'limit an invoker key to this endpoint, repeatable', collect, [])
    .option('-d, --description <text>', 'who or what it is for')
    .addHelpText(
      'after',
      '\nExample:\n  understudy keys create --role invoker --endpoint churn --description "checkout service"',
    )
    .action(async (options: { role: string; endpoint: string[]; description?: string }, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const key = await client.call<AccessKey>('CreateAccessKey', {
        Role: options.role,
        ...(options.endpoint.length > 0 ? { EndpointNames: options.endpoint } : {}),
        ...(options.description ? { Description: options.description } : {}),
      });
      out.result(key, () => {
        out.fields([
          ['AWS_ACCESS_KEY_ID', key.AccessKeyId],
          ['AWS_SECRET_ACCESS_KEY', key.SecretAccessKey],
          ['role', key.Role],
          ['endpoints', key.EndpointNames?.join(', ')],
        ]);
        out.line('The secret is not shown again.');
      });
    });

  keys
    .command('list')
    .description('Issued keys, newest first (never their secrets)')
    .addHelpText('after', '\nExample:\n  understudy keys list')
    .action(async (_options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      const { AccessKeys = [] } = await client.call<{ AccessKeys?: AccessKey[] }>('ListAccessKeys', {});
      out.result(AccessKeys, () =>
        out.table(
          ['key', 'role', 'endpoints', 'created', 'description'],
          AccessKeys.map((k) => [
            k.AccessKeyId,
            k.Role,
            k.EndpointNames?.join(', '),
            time(k.CreationTime),
            k.Description,
          ]),
        ),
      );
    });

  keys
    .command('revoke <accessKeyId>')
    .description('Delete a key: it stops working within seconds everywhere')
    .addHelpText('after', '\nExample:\n  understudy keys revoke AKUS0123456789ABCDEF')
    .action(async (id: string, _options, command: Command) => {
      const client = cli.client(command);
      const out = cli.output(command);
      await client.call('DeleteAccessKey', { AccessKeyId: id });
      out.result({ AccessKeyId: id, Revoked: true }, () => out.line(`${id} revoked`));
    });
}
