#!/usr/bin/env node
// The package's `understudy` bin: registers tsx (a dependency) and runs the TypeScript CLI,
// so `npx understudy` works from any directory without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./understudy.ts');
