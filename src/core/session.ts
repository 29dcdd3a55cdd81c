/**
 * The public shapes of a session: what the repository reads and what an update writes.
 *
 * @module
 */

/**
 * One chat's session as stored: its flow state, its JSON data and the version that guards it.
 *
 * @typeParam TData - the shape of `data`, a JSON object.
 * @typeParam TState - the flow's states, e.g. `'MENU' | 'ASK_NAME' | 'DONE'`.
 * @example
 * ```ts
 * const session: Session<{ intentos: number }> | null = await repository.getSession('+5215512345678');
 * console.log(session?.state, session?.version);
 * ```
 */
export interface Session<TData = Record<string, unknown>, TState extends string = string> {
  /** The session key, e.g. a phone number `"+5215512345678"`. */
  key: string;
  /** The flow state, e.g. `"REFRI_ESPERA_SAP"`, or `null` when none was set. */
  state: TState | null;
  /** The session's JSON object. */
  data: TData;
  /** `0` for a new row and for legacy rows whose version is `NULL`; `+1` on every update. */
  version: number;
  /** When the row was created (the database's clock). */
  createdAt: Date;
  /** When the row was last written or touched (the database's clock). */
  updatedAt: Date;
}

/**
 * Session data as an update accepts it: `TData`, where an optional property may also be given as
 * `undefined` (it is dropped, as `JSON.stringify` drops it, so `{ ...session.data, name: maybeName }`
 * type-checks and is stored without `name`).
 *
 * @typeParam TData - the shape of `data`, a JSON object.
 * @example
 * ```ts
 * const data: SessionDataInput<{ ids: string[]; name?: string }> = { ids: [], name: undefined };
 * ```
 */
export type SessionDataInput<TData> = {
  [K in keyof TData]: Record<never, never> extends Pick<TData, K> ? TData[K] | undefined : TData[K];
};

/**
 * The fields an update writes. A field left out is left unchanged.
 *
 * @typeParam TData - the shape of `data`, a JSON object.
 * @typeParam TState - the flow's states.
 * @example
 * ```ts
 * const changes: SessionChanges<{ paso: number }> = { state: 'REFRI_ESPERA_SAP', data: { paso: 2 } };
 * ```
 */
export interface SessionChanges<TData = Record<string, unknown>, TState extends string = string> {
  /** The new flow state; `null` clears it. */
  state?: TState | null;
  /** The new JSON object; it replaces the stored one as a whole. `undefined` properties are dropped. */
  data?: SessionDataInput<TData>;
}
