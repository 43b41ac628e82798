// A minimal observable value for domain slices: plain objects outside React, read by
// components through useSlice (useSyncExternalStore), so the transport never touches React.
import { useSyncExternalStore } from 'react';

export interface Slice<T> {
  get(): T;
  set(next: T | ((prev: T) => T)): void;
  subscribe(listener: () => void): () => void;
}

export function createSlice<T>(initial: T): Slice<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set(next) {
      const resolved = typeof next === 'function' ? (next as (prev: T) => T)(value) : next;
      if (Object.is(resolved, value)) return;
      value = resolved;
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useSlice<T>(slice: Slice<T>): T {
  return useSyncExternalStore(slice.subscribe, slice.get, slice.get);
}

/** A derived value of a slice; the component re-renders only when that value changes. */
export function useSliceValue<T, V>(slice: Slice<T>, select: (value: T) => V): V {
  const get = (): V => select(slice.get());
  return useSyncExternalStore(slice.subscribe, get, get);
}
