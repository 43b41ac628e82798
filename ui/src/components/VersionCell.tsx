// The version header state, by icon AND word (never colour alone).
import type { VersionState } from '../../../server/capture/wire-types.ts';
import { VERSION_LABEL } from '../format.ts';

const ICON: Record<VersionState, string> = { present: '✓', missing: '✕', injected: '⊕', none: '–' };

export function VersionCell({ version, value }: { version: VersionState; value: string | null }) {
  const title =
    version === 'present'
      ? `X-AspNet-Version: ${value ?? ''}`
      : version === 'injected'
        ? 'Missing upstream, injected by statescope'
        : version === 'missing'
          ? 'The reply had no X-AspNet-Version header'
          : 'No reply';
  return (
    <span className={`version version-${version}`} title={title}>
      <span aria-hidden="true">{ICON[version]} </span>
      {VERSION_LABEL[version]}
    </span>
  );
}
