// What a reply status means to ASP.NET, as a colour class and words, so rows and the detail
// agree: 2xx is fine, 404 is a normal "no such session", 423 means waiting on someone else's
// lock, 400 / 5xx / no reply at all are failures.
import type { OutcomeCode } from '../../server/capture/wire-types.ts';
import { OUTCOME_TEXT } from './outcome-text.ts';

export type Tone = 'good' | 'neutral' | 'warn' | 'bad';

export function statusTone(status: number | null, outcome: OutcomeCode): Tone {
  if (status === null || outcome !== 'ok') return 'bad';
  if (status >= 200 && status < 300) return 'good';
  if (status === 423) return 'warn';
  if (status === 404) return 'neutral';
  if (status >= 400) return 'bad';
  return 'neutral';
}

export const TONE_ICON: Record<Tone, string> = { good: '✓', neutral: '○', warn: '⚠', bad: '✕' };

/** A sentence for the detail view's heading line. */
export function statusMeaning(status: number | null, outcome: OutcomeCode): string {
  if (status === null) return `— ${OUTCOME_TEXT[outcome]}`;
  if (outcome !== 'ok') return `— ${OUTCOME_TEXT[outcome]}`;
  if (status >= 200 && status < 300) return '— success';
  if (status === 404) return '— no such session: normal for a new or expired session id';
  if (status === 423) return '— another request holds this session\'s lock; ASP.NET polls until it is free';
  if (status === 400) return '— ASP.NET throws on a 400 from the state server';
  if (status >= 500) return '— the state server failed';
  return '— a status ASP.NET does not expect';
}
