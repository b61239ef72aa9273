/**
 * Runs one of the stack's scheduled rules now, on the running local platform.
 *
 *   tsx scripts/local/trigger.ts                 lists the scheduled rules
 *   tsx scripts/local/trigger.ts <rule> [json]   runs the rule (logical id or name); the optional
 *                                                JSON object overrides fields of the event
 *   options: --env-file FILE (default UNDERSTUDY_ENV_FILE or .understudy/local.env)
 *
 * The platform's URL comes from UNDERSTUDY_URL, else from the env file.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { PROJECT_ROOT } from '../moto.js';
import { readEnvFile } from './env-file.js';

async function main(argv: string[]): Promise<number> {
  let envFile = process.env.UNDERSTUDY_ENV_FILE ?? path.join(PROJECT_ROOT, '.understudy', 'local.env');
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--env-file') envFile = argv[++i] ?? envFile;
    else if (arg.startsWith('--env-file=')) envFile = arg.slice('--env-file='.length);
    else positional.push(arg);
  }
  let url = process.env.UNDERSTUDY_URL;
  if (!url) {
    if (!existsSync(envFile)) {
      console.error(`no UNDERSTUDY_URL and no ${envFile}: is the local platform running (npm start)?`);
      return 1;
    }
    url = readEnvFile(envFile).UNDERSTUDY_URL;
  }
  if (!url) {
    console.error(`${envFile} has no UNDERSTUDY_URL`);
    return 1;
  }
  const [rule, overrides] = positional;
  if (!rule) {
    const response = await fetch(`${url}/_local/schedules`);
    const { schedules } = (await response.json()) as {
      schedules: {
        logicalId: string;
        name: string;
        scheduleExpression: string;
        targets: string[];
        nextFireTime?: string;
      }[];
    };
    for (const s of schedules) {
      console.log(
        `${s.logicalId}  ${s.scheduleExpression}  → ${s.targets.join(', ')}  (${s.name})${s.nextFireTime ? `  next ${s.nextFireTime}` : ''}`,
      );
    }
    return 0;
  }
  const response = await fetch(`${url}/_local/schedules/${encodeURIComponent(rule)}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: overrides ?? '',
  });
  const text = await response.text();
  try {
    console.log(JSON.stringify(JSON.parse(text), null, 2));
  } catch {
    console.log(text);
  }
  return response.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
