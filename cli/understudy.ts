#!/usr/bin/env node
/** `understudy`: see program.ts; run with `npx understudy` (the package's bin) or `npm run understudy --`. */
import { processIo } from './output.js';
import { run } from './program.js';

// The SDK's notice about Node 20 is for developers of the SDK's users, not for each command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.exitCode = await run(process.argv.slice(2), processIo());
