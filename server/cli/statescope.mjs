#!/usr/bin/env node
// Entry point for `npx statescope` / `npm install -g`. The sources are TypeScript; tsx's
// loader compiles them on import, so there is no separate build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
