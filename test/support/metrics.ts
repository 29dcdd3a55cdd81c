/**
 * A real OpenTelemetry SDK MeterProvider with the in-memory exporter, and a reader of what it holds.
 */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type Histogram,
} from '@opentelemetry/sdk-metrics';

export interface Point {
  attributes: Record<string, unknown>;
  value: number | Histogram;
}

export interface InMemoryMetrics {
  meterProvider: MeterProvider;
  /** Flushes and returns the data points of each instrument, by name. */
  collect(): Promise<Map<string, Point[]>>;
  shutdown(): Promise<void>;
}

export function inMemoryMetrics(): InMemoryMetrics {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // The interval never fires within a test; forceFlush() exports on demand.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    meterProvider,
    async collect() {
      exporter.reset();
      await reader.forceFlush();
      const byName = new Map<string, Point[]>();
      for (const resourceMetrics of exporter.getMetrics()) {
        for (const scope of resourceMetrics.scopeMetrics) {
          for (const metric of scope.metrics) {
            const points = metric.dataPoints.map((point) => ({
              attributes: { ...point.attributes },
              value: point.value as number | Histogram,
            }));
            byName.set(metric.descriptor.name, points);
          }
        }
      }
      return byName;
    },
    shutdown: () => meterProvider.shutdown(),
  };
}
