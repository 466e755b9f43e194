import { useState } from 'preact/hooks';

/** Who a command or a rollout goes to, and how: what `causeway send` and `causeway rollout` take as flags. */
export interface Delivery {
  kind: 'one' | 'group' | 'all';
  target: string;
  ttl: string;
  rate: string;
  abortAt: string;
}

export function useDelivery(): [Delivery, (d: Delivery) => void] {
  return useState<Delivery>({ kind: 'one', target: '', ttl: '3600', rate: '', abortAt: '' });
}

/** The API body's target and pacing fields: `{device|gateway|group|all, ttlSeconds, rolloutPerMinute?, abortThresholdPercent?}`. */
export function deliveryBody(d: Delivery, one: 'device' | 'gateway'): Record<string, unknown> {
  const body: Record<string, unknown> = { ttlSeconds: Number(d.ttl) };
  if (d.kind === 'all') body.all = true;
  else body[d.kind === 'one' ? one : 'group'] = d.target.trim();
  if (d.rate.trim() !== '') body.rolloutPerMinute = Number(d.rate);
  if (d.abortAt.trim() !== '') body.abortThresholdPercent = Number(d.abortAt);
  return body;
}

/** The target (one, a group, every gateway) and the TTL, rollout rate and abort threshold fields. */
export function DeliveryFields({ value, onChange, legend, name, oneLabel, oneField }: { value: Delivery; onChange: (d: Delivery) => void; legend: string; name: string; oneLabel: string; oneField: string }) {
  const set = (patch: Partial<Delivery>): void => onChange({ ...value, ...patch });
  return (
    <>
      <fieldset>
        <legend>{legend}</legend>
        {(['one', 'group', 'all'] as const).map((k) => (
          <label key={k} class="inline">
            <input type="radio" name={name} value={k} checked={value.kind === k} onChange={() => set({ kind: k })} />
            {k === 'one' ? oneLabel : k === 'group' ? 'a group' : 'every gateway'}
          </label>
        ))}
        {value.kind === 'all' ? null : (
          <label>
            {value.kind === 'one' ? oneField : 'Group'}
            <input required value={value.target} onInput={(e) => set({ target: e.currentTarget.value })} />
          </label>
        )}
      </fieldset>
      <div class="row">
        <label>
          TTL (s)
          <input type="number" min={1} value={value.ttl} onInput={(e) => set({ ttl: e.currentTarget.value })} />
        </label>
        <label>
          Rollout (per minute)
          <input type="number" min={1} value={value.rate} onInput={(e) => set({ rate: e.currentTarget.value })} placeholder="all at once" />
        </label>
        <label>
          Abort above (% failed)
          <input type="number" min={0} max={100} value={value.abortAt} onInput={(e) => set({ abortAt: e.currentTarget.value })} />
        </label>
      </div>
    </>
  );
}
