import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** statescope's own version, from package.json (shown by --version and in build info). */
export const VERSION: string = (require('../../package.json') as { version: string }).version;
