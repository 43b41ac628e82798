// The markers of one exchange as small badges: words for screen readers and in the tooltip,
// icons on screen (never colour alone).
import { MARK_APP_START, MARK_CONNECTION, MARK_VERSION_FAILS } from '../state/markers.ts';

export const MARK_WORDS = {
  connection: 'First exchange of this client connection',
  appStart: 'Likely application start: from this client, every connection is new from here on',
  versionFails: "ASP.NET's version check fails here: the reply reached it without X-AspNet-Version",
};

export function MarkBadges({ marks }: { marks: number }) {
  if (marks === 0) return null;
  return (
    <span className="marks">
      {(marks & MARK_CONNECTION) !== 0 && (
        <span className="mark mark-connection" title={MARK_WORDS.connection} data-mark="connection">
          <span aria-hidden="true">⇢</span>
          <span className="visually-hidden">new connection</span>
        </span>
      )}
      {(marks & MARK_APP_START) !== 0 && (
        <span className="mark mark-app-start" title={MARK_WORDS.appStart} data-mark="app-start">
          <span aria-hidden="true">⟳</span>
          <span className="visually-hidden">likely app start</span>
        </span>
      )}
      {(marks & MARK_VERSION_FAILS) !== 0 && (
        <span className="mark mark-version-fails" title={MARK_WORDS.versionFails} data-mark="version-check">
          <span aria-hidden="true">✕</span>
          <span className="visually-hidden">version check fails here</span>
        </span>
      )}
    </span>
  );
}
