/**
 * Optional OpenTelemetry metrics. `@opentelemetry/api` is an optional peer: it is loaded on the first
 * event, never at import, and when it is not installed metrics are simply off. Attributes are the
 * operation and the dialect (and, for conflicts, the locking mode); never the key.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { describeValue, invalidArgument } from '../validate.js';

/**
 * The attributes the library records: `operation`, `dialect` and, on conflicts, `locking_mode`.
 *
 * @example
 * ```ts
 * const attributes: MetricAttributes = { operation: 'updateSession', dialect: 'postgres' };
 * ```
 */
export type MetricAttributes = Readonly<Record<string, string>>;

/**
 * The slice of an OpenTelemetry `Counter` the library calls.
 *
 * @example
 * ```ts
 * const counter: CounterLike = meter.createCounter('versioned_sessions.conflicts');
 * ```
 */
export interface CounterLike {
  /** Adds `value` for these attributes. */
  add(value: number, attributes?: MetricAttributes): void;
}

/**
 * The slice of an OpenTelemetry `Histogram` the library calls.
 *
 * @example
 * ```ts
 * const histogram: HistogramLike = meter.createHistogram('versioned_sessions.attempts');
 * ```
 */
export interface HistogramLike {
  /** Records one value for these attributes. */
  record(value: number, attributes?: MetricAttributes): void;
}

/**
 * The slice of an OpenTelemetry `Meter` the library calls.
 *
 * @example
 * ```ts
 * const meter: MeterLike = meterProvider.getMeter('versioned-sessions');
 * ```
 */
export interface MeterLike {
  /** Creates (or returns) a counter. */
  createCounter(name: string, options?: { description?: string; unit?: string }): CounterLike;
  /** Creates (or returns) a histogram. */
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string; advice?: { explicitBucketBoundaries?: number[] } },
  ): HistogramLike;
}

/**
 * The slice of an OpenTelemetry `MeterProvider` the library calls; declared here so the library does
 * not depend on `@opentelemetry/api`'s types.
 *
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api';
 * const meterProvider: MeterProviderLike = metrics.getMeterProvider();
 * ```
 */
export interface MeterProviderLike {
  /** Returns the meter of an instrumentation scope. */
  getMeter(name: string, version?: string): MeterLike;
}

/**
 * Where metrics go.
 * - `true`: the global `MeterProvider` of `@opentelemetry/api`, when that package is installed
 *   (otherwise nothing is recorded).
 * - `false`: no metrics.
 * - `{ meterProvider }`: this provider, e.g. one that is not registered globally.
 *
 * @example
 * ```ts
 * const metrics: MetricsOption = { meterProvider: new MeterProvider({ readers: [reader] }) };
 * new SessionRepository({ store, metrics });
 * ```
 */
export type MetricsOption =
  | boolean
  | {
      /** The provider to record into instead of the global one. */
      readonly meterProvider: MeterProviderLike;
    };

/**
 * The instrument names, for dashboards and alerts.
 *
 * @example
 * ```ts
 * console.log(metricNames.conflicts); // 'versioned_sessions.conflicts'
 * ```
 */
export const metricNames = Object.freeze({
  /** Counter: writes that named a stale version. */
  conflicts: 'versioned_sessions.conflicts',
  /** Counter: attempts that failed and were retried. */
  retries: 'versioned_sessions.retries',
  /** Counter: retry loops that gave up. */
  exhausted: 'versioned_sessions.retries.exhausted',
  /** Counter: writes skipped because their idempotency key was already applied. */
  duplicates: 'versioned_sessions.duplicates',
  /** Histogram: attempts per retry loop. */
  attempts: 'versioned_sessions.attempts',
} as const);

/** What the rest of the core records; every method is a no-op when metrics are off. */
export interface SessionMetrics {
  conflict(attributes: MetricAttributes): void;
  retry(attributes: MetricAttributes): void;
  exhausted(attributes: MetricAttributes): void;
  duplicate(attributes: MetricAttributes): void;
  attempts(count: number, attributes: MetricAttributes): void;
}

interface Instruments {
  conflicts: CounterLike;
  retries: CounterLike;
  exhausted: CounterLike;
  duplicates: CounterLike;
  attempts: HistogramLike;
}

const METER_NAME = 'versioned-sessions';
// Attempts per operation are small integers; the SDK's default buckets (0, 5, 10, 25 …) would lump them.
const ATTEMPT_BUCKETS = [1, 2, 3, 4, 5, 7, 10, 20, 50, 100];

function createInstruments(provider: MeterProviderLike): Instruments {
  const meter = provider.getMeter(METER_NAME);
  return {
    conflicts: meter.createCounter(metricNames.conflicts, {
      description: 'Writes that named a stale version.',
      unit: '{conflict}',
    }),
    retries: meter.createCounter(metricNames.retries, {
      description: 'Attempts that failed and were retried.',
      unit: '{retry}',
    }),
    exhausted: meter.createCounter(metricNames.exhausted, {
      description: 'Retry loops that gave up.',
      unit: '{operation}',
    }),
    duplicates: meter.createCounter(metricNames.duplicates, {
      description: 'Writes skipped as already applied.',
      unit: '{write}',
    }),
    attempts: meter.createHistogram(metricNames.attempts, {
      description: 'Attempts per retried operation, the successful or last one included.',
      unit: '{attempt}',
      advice: { explicitBucketBoundaries: ATTEMPT_BUCKETS },
    }),
  };
}

interface OpenTelemetryApi {
  metrics: { getMeterProvider(): MeterProviderLike };
}

let openTelemetryApi: OpenTelemetryApi | null | undefined;

/** Loads `@opentelemetry/api` once, on first use; `null` when it is not installed. */
function loadOpenTelemetryApi(): OpenTelemetryApi | null {
  if (openTelemetryApi === undefined) {
    try {
      // The API keeps its providers on a global symbol, so this copy sees what the application's
      // copy registered, whether the application loaded it as ESM or CommonJS.
      openTelemetryApi = createRequire(import.meta.url)('@opentelemetry/api') as OpenTelemetryApi;
    } catch {
      openTelemetryApi = null;
    }
  }
  return openTelemetryApi;
}

/** Records into whatever provider `currentProvider` returns, re-creating instruments when it changes. */
function recorder(currentProvider: () => MeterProviderLike | null): SessionMetrics {
  let cachedProvider: MeterProviderLike | null = null;
  let cached: Instruments | null = null;
  const instruments = (): Instruments | null => {
    const provider = currentProvider();
    if (provider === null) return null;
    // A global provider registered after the first event must still be used, hence the identity check.
    if (provider !== cachedProvider) {
      cachedProvider = provider;
      cached = createInstruments(provider);
    }
    return cached;
  };
  return {
    conflict: (attributes) => instruments()?.conflicts.add(1, attributes),
    retry: (attributes) => instruments()?.retries.add(1, attributes),
    exhausted: (attributes) => instruments()?.exhausted.add(1, attributes),
    duplicate: (attributes) => instruments()?.duplicates.add(1, attributes),
    attempts: (count, attributes) => instruments()?.attempts.record(count, attributes),
  };
}

const noop = (): void => {};
const disabled: SessionMetrics = { conflict: noop, retry: noop, exhausted: noop, duplicate: noop, attempts: noop };
const globalMetrics = recorder(() => loadOpenTelemetryApi()?.metrics.getMeterProvider() ?? null);

/** Resolves a `metrics` option to a recorder, checking its shape up front. */
export function resolveMetrics(option: unknown, argument = 'metrics'): SessionMetrics {
  if (option === undefined || option === true) return globalMetrics;
  if (option === false) return disabled;
  const provider =
    typeof option === 'object' && option !== null ? (option as { meterProvider?: unknown }).meterProvider : undefined;
  if (
    typeof provider !== 'object' ||
    provider === null ||
    typeof (provider as MeterProviderLike).getMeter !== 'function'
  ) {
    throw invalidArgument(
      argument,
      'be true, false, or { meterProvider } with a getMeter() method',
      describeValue(option),
    );
  }
  const meterProvider = provider as MeterProviderLike;
  return recorder(() => meterProvider);
}
