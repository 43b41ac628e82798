// The header-injection workaround: a real switch plus the value written on the wire.
import { useEffect, useId, useState } from 'react';
import type { InjectionRule } from '../../../server/capture/wire-types.ts';
import { controls } from '../api/backend.ts';

const VALUE_PATTERN = /^(\d{1,4})\.\d{1,4}\.\d{1,6}$/;

export function validateVersionValue(value: string): string | null {
  const match = VALUE_PATTERN.exec(value.trim());
  if (!match) return 'Use the form major.minor.build, e.g. 4.0.30319';
  if (Number(match[1]) < 2) return 'ASP.NET needs a major version of 2 or more';
  return null;
}

export function InjectionSwitch({ rule, disabled }: { rule: InjectionRule; disabled: boolean }) {
  const switchId = useId();
  const valueId = useId();
  const hintId = useId();
  const [draft, setDraft] = useState(rule.value);
  // Shown at once, so the switch responds to the click; the server's answer then settles it.
  const [optimistic, setOptimistic] = useState<boolean | null>(null);
  const checked = optimistic ?? rule.enabled;
  useEffect(() => setDraft(rule.value), [rule.value]);
  const problem = validateVersionValue(draft);
  const dirty = draft.trim() !== rule.value;

  return (
    <div className="injection" role="group" aria-label="Header injection">
      <label className="switch" htmlFor={switchId}>
        <input
          id={switchId}
          type="checkbox"
          role="switch"
          data-testid="injection-switch"
          aria-checked={checked}
          aria-describedby={hintId}
          checked={checked}
          disabled={disabled}
          onChange={(e) => {
            const next = e.target.checked;
            setOptimistic(next);
            void controls.setInjectionEnabled(next).finally(() => setOptimistic(null));
          }}
        />
        <span className="switch-track" aria-hidden="true" />
        <span>Inject X-AspNet-Version</span>
      </label>
      <form
        className="injection-value"
        onSubmit={(e) => {
          e.preventDefault();
          if (!problem && dirty) void controls.setInjectionValue(draft.trim());
        }}
      >
        <label htmlFor={valueId} className="visually-hidden">
          Injected X-AspNet-Version value
        </label>
        <input
          id={valueId}
          className="mono"
          value={draft}
          size={10}
          disabled={disabled}
          aria-invalid={problem !== null}
          aria-describedby={hintId}
          onChange={(e) => setDraft(e.target.value)}
        />
        {dirty && (
          <button type="submit" disabled={disabled || problem !== null}>
            Apply value
          </button>
        )}
      </form>
      <span id={hintId} className={problem && dirty ? 'hint error' : 'hint'}>
        {problem && dirty ? problem : checked ? 'On: takes effect on the next reply' : 'Off: takes effect on the next reply'}
      </span>
    </div>
  );
}
