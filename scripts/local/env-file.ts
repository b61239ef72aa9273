/** `.understudy/local.env`: shell `KEY=value` lines (also fine for dotenv and `source`). */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

function quote(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]*$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

export function formatEnvFile(env: Readonly<Record<string, string>>, header?: string): string {
  const lines = header ? header.split('\n').map((line) => `# ${line}`) : [];
  for (const [key, value] of Object.entries(env)) lines.push(`${key}=${quote(value)}`);
  return `${lines.join('\n')}\n`;
}

export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match?.[1] || match[2] === undefined) continue;
    let value = match[2].trim();
    if (value.startsWith("'")) value = value.slice(1, -1).replaceAll(`'\\''`, "'");
    else if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    env[match[1]] = value;
  }
  return env;
}

/** Written to a temporary file and renamed, so a reader never sees half of it. */
export function writeEnvFile(file: string, env: Readonly<Record<string, string>>, header?: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, formatEnvFile(env, header));
  renameSync(temp, file);
}

export function readEnvFile(file: string): Record<string, string> {
  return parseEnvFile(readFileSync(file, 'utf8'));
}
