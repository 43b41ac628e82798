// The item table of one exchange's session body (--session-items): key, type or class, size.
// Values are never sent to the page, so there is nothing else to show.
import type { ExchangeRecord, SessionItemsRecord } from '../../../server/capture/wire-types.ts';
import { formatBytes } from '../format.ts';
import '../styles/session-items.css';

export function SessionItemsDetail({ record }: { record: ExchangeRecord }) {
  const request = record.request?.sessionItems;
  const reply = record.reply?.sessionItems;
  if (!request && !reply) return null;
  return (
    <>
      {request && <SessionItemsTable table={request} title="Session items (Set body)" />}
      {reply && <SessionItemsTable table={reply} title="Session items (reply body)" />}
    </>
  );
}

export function SessionItemsTable({ table, title }: { table: SessionItemsRecord; title: string }) {
  if (!table.ok) {
    return (
      <section aria-label={title}>
        <h3>{title}</h3>
        <p className="banner warning">Not a serialized session: {table.error} (at byte {table.offset}). The body was relayed untouched.</p>
      </section>
    );
  }
  const listed = table.items.length;
  return (
    <section aria-label={title}>
      <h3>{title}</h3>
      <p className="muted small">
        {table.itemCount} item{table.itemCount === 1 ? '' : 's'}, {formatBytes(table.valueBytes)} of values
        {table.form === 'compressed' ? ', compressed (compressionEnabled)' : ''}; timeout {table.timeoutMinutes} min
        {table.staticObjectCount > 0 ? `; ${table.staticObjectCount} static objects` : ''}.
        {table.keys === 'hashed' ? ' Key names are shown as per-run hashes (--session-items=hashed).' : ''} Values are never shown.
      </p>
      {listed > 0 && (
        <table className="items-table">
          <caption className="visually-hidden">{title}: key, type and size of each item</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Type</th>
              <th scope="col" className="num">Size</th>
            </tr>
          </thead>
          <tbody>
            {table.items.map((item, i) => (
              <tr key={i}>
                <td className="mono">{item.key ?? <em>(null key)</em>}</td>
                <td className="mono">{item.className ? `${item.type}: ${item.className}` : item.type}</td>
                <td className="mono num">{formatBytes(item.size)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {listed < table.itemCount && <p className="muted small">The first {listed} of {table.itemCount} items are listed.</p>}
    </section>
  );
}
