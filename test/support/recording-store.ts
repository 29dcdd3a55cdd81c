import type { SessionStore } from '../../src/core/session-store.js';

/** Wraps a store so a test sees every call the repository makes to it, by method name, in order. */
export function recordingStore<TStore extends SessionStore>(store: TStore, calls: string[]): TStore {
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...parameters: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}
