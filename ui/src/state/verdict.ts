// The verdict, worked out from what the upstream sent versus what ASP.NET received. A reply the
// upstream sent without X-AspNet-Version that statescope injected reaches ASP.NET with it: it is
// fixed, not an error. The headline follows the injection switch at once; the counts say how
// many replies still reached ASP.NET without the header, since injection went on and recently.
import type { InjectionSinceCounts, ProxyState, StatsSnapshot } from '../../../server/capture/wire-types.ts';

export type VerdictTone = 'neutral' | 'good' | 'fixed' | 'warn' | 'bad';

export interface Verdict {
  tone: VerdictTone;
  /** The one line in the top strip. */
  line: string;
  windowMinutes: number;
  replies: number;
  /** Sent by the upstream with the header / without it, in the window. */
  upstreamPresent: number;
  upstreamMissing: number;
  /** Missing upstream, added by statescope. */
  injected: number;
  /** Reached ASP.NET without the header, in the window. */
  reachedWithout: number;
  /** Reached ASP.NET without the header in the last RECENT_SECONDS. */
  recentWithout: number;
  /** Counted by the server since injection went on; null when injection is off. */
  sinceInjection: InjectionSinceCounts | null;
}

export const RECENT_SECONDS = 10;

export function computeVerdict(stats: StatsSnapshot | null, state: ProxyState | null): Verdict {
  const w = stats?.window;
  const windowMinutes = Math.round((w?.seconds ?? 300) / 60);
  const replies = w?.replies ?? 0;
  const upstreamMissing = w?.versionMissing ?? 0;
  const injected = Math.min(w?.injected ?? 0, upstreamMissing);
  const reachedWithout = upstreamMissing - injected;
  const series = stats?.series ?? [];
  let recentWithout = 0;
  let recentMissingUpstream = 0;
  let recentReplies = 0;
  for (const b of series.slice(-RECENT_SECONDS)) {
    recentReplies += b.replies;
    recentWithout += Math.max(0, b.missing - b.injected);
    recentMissingUpstream += b.missing;
  }
  const injecting = state?.injection.enabled ?? false;
  const readOnly = state?.readOnly ?? false;
  const where = readOnly ? `in the capture's last ${windowMinutes} min` : `in the last ${windowMinutes} min`;
  const base = { windowMinutes, replies, upstreamPresent: w?.versionPresent ?? 0, upstreamMissing, injected, reachedWithout, recentWithout };
  // The state follows the switch at once; the counts come with the next stats snapshot.
  const since = injecting ? (stats?.injection ?? { since: stats?.now ?? 0, injected: 0, onTheWire: 0 }) : null;

  if (replies === 0) return { ...base, tone: 'neutral', line: `No replies ${where} yet`, sinceInjection: since };
  if (upstreamMissing === 0) {
    return { ...base, tone: 'good', line: `ASP.NET receives X-AspNet-Version: present in ${base.upstreamPresent} of ${replies} replies ${where}`, sinceInjection: since };
  }
  if (readOnly) {
    const line =
      reachedWithout > 0
        ? `${reachedWithout} of ${replies} replies reached ASP.NET without X-AspNet-Version ${where}${injected > 0 ? `; statescope injected it into ${injected}` : ''}`
        : `Fixed by injection ${where}: the upstream omitted X-AspNet-Version in ${upstreamMissing} of ${replies} replies, statescope added it`;
    return { ...base, tone: reachedWithout > 0 ? 'bad' : 'fixed', line, sinceInjection: null };
  }
  if (injecting && since) {
    // Every head the relay handles while the rule is on gets the header: what can still reach
    // ASP.NET without it is a reply whose head was already on the wire at the switch.
    const fixed = `${since.injected} ${since.injected === 1 ? 'reply' : 'replies'} fixed since injection went on`;
    const late = since.onTheWire > 0 ? `; ${since.onTheWire} already on the wire at the switch reached ASP.NET without it` : '';
    return {
      ...base,
      tone: 'fixed',
      line: `Fixed by injection: the upstream omits X-AspNet-Version, statescope adds it · ${fixed}${late}`,
      sinceInjection: since,
    };
  }
  // Recent replies all carried the header (the upstream was fixed?): say so, but not "good" yet.
  if (recentReplies > 0 && recentMissingUpstream === 0) {
    return {
      ...base,
      tone: 'warn',
      line: `No reply without X-AspNet-Version in the last ${RECENT_SECONDS} s; ${reachedWithout} of ${replies} reached ASP.NET without it ${where}`,
      sinceInjection: since,
    };
  }
  return {
    ...base,
    tone: 'bad',
    line: `${reachedWithout} of ${replies} replies reach ASP.NET without X-AspNet-Version ${where}: its version check fails after every app start`,
    sinceInjection: since,
  };
}
