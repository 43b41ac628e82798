// Checks a session item table read back from a saved capture (a JSONL line or a HAR entry's
// _sessionItems), so a damaged or hand-edited file is reported line by line instead of
// breaking the item views later. Also drops anything that is not part of the table: a file can
// carry no value into the page, whatever it holds.
import { SESSION_ITEM_TYPES } from '../protocol/session-items.ts';
import type { SessionItemEntry, SessionItemsRecord } from './wire-types.ts';
import { MAX_ITEMS_PER_RECORD } from './session-items-capture.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function itemProblem(v: unknown, i: number): string | null {
  if (!isObject(v)) return `items[${i}] is not an object`;
  if (!(v.key === null || typeof v.key === 'string')) return `items[${i}].key is not a string or null`;
  if (!Number.isInteger(v.typeId) || SESSION_ITEM_TYPES[v.typeId as number] === undefined) return `items[${i}].typeId is not a session type id (1-21)`;
  if (typeof v.type !== 'string') return `items[${i}].type is not a string`;
  if (v.className !== undefined && typeof v.className !== 'string') return `items[${i}].className is not a string`;
  if (!count(v.size) || v.size < 1) return `items[${i}].size is not a positive whole number`;
  return null;
}

/** null when `v` is a session item table, else what is wrong with it. */
export function sessionItemsProblem(v: unknown): string | null {
  if (!isObject(v)) return 'is not an object';
  if (v.ok === false) {
    if (!['plain', 'compressed', 'empty', 'unknown'].includes(v.form as string)) return 'form is not plain, compressed, empty or unknown';
    if (typeof v.error !== 'string') return 'error is not a string';
    if (!count(v.offset)) return 'offset is not a whole number';
    return null;
  }
  if (v.ok !== true) return 'ok is not a boolean';
  if (v.form !== 'plain' && v.form !== 'compressed') return 'form is not plain or compressed';
  if (v.keys !== 'names' && v.keys !== 'hashed') return 'keys is not names or hashed';
  for (const field of ['timeoutMinutes', 'itemCount', 'valueBytes', 'staticObjectCount', 'decodedBytes'] as const) {
    if (!count(v[field])) return `${field} is not a whole number`;
  }
  if (!Array.isArray(v.items)) return 'items is not a list';
  if (v.items.length > MAX_ITEMS_PER_RECORD) return `items lists more than ${MAX_ITEMS_PER_RECORD} entries`;
  for (let i = 0; i < v.items.length; i++) {
    const problem = itemProblem(v.items[i], i);
    if (problem) return problem;
  }
  return null;
}

/** A checked table rebuilt from its known fields only (call after sessionItemsProblem). */
export function cleanSessionItems(v: SessionItemsRecord): SessionItemsRecord {
  if (!v.ok) return { ok: false, form: v.form, error: v.error, offset: v.offset };
  return {
    ok: true,
    form: v.form,
    keys: v.keys,
    timeoutMinutes: v.timeoutMinutes,
    itemCount: v.itemCount,
    items: v.items.map((item) => {
      const entry: SessionItemEntry = { key: item.key, typeId: item.typeId, type: item.type, size: item.size };
      if (item.className !== undefined) entry.className = item.className;
      return entry;
    }),
    valueBytes: v.valueBytes,
    staticObjectCount: v.staticObjectCount,
    decodedBytes: v.decodedBytes,
  };
}
