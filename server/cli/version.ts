// Imported rather than read at run time, so the bundles (dist/, the single executables) carry
// the version without a package.json beside them.
import packageJson from '../../package.json' with { type: 'json' };

/** statescope's own version, from package.json (shown by --version and in build info). */
export const VERSION: string = packageJson.version;
