#!/usr/bin/env node
// Development entry: runs the TypeScript sources through tsx (a dev dependency), so tests and
// `npm run dev` see a change without a rebuild. The installed `statescope` runs the compiled
// bundle dist/statescope.mjs instead (npm run build); nothing transpiles at run time there.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
