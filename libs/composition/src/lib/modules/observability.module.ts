import { ContainerModule, type ServiceIdentifier } from 'inversify';
import { MetricEventsFileMetrics, PrometheusMetrics } from '@test-agent/infrastructure';
import { TOKENS } from '../tokens';

const PROMETHEUS = Symbol.for('TestAgent.PrometheusMetrics') as ServiceIdentifier<PrometheusMetrics>;

/**
 * Metrics: one prom-client registry per container, recorded through `Metrics` (and appended to `metricsEventsFile`
 * when set), scraped through `MetricsExporter`.
 */
export const observabilityModule = () =>
  new ContainerModule(({ bind }) => {
    bind(PROMETHEUS)
      .toDynamicValue((ctx) => {
        const log = ctx.get(TOKENS.Logger).child('metrics');
        return new PrometheusMetrics((message) => log.warn(message));
      })
      .inSingletonScope();
    // With metricsEventsFile (a server's job), every call is also appended there for the server to replay.
    bind(TOKENS.Metrics)
      .toDynamicValue((ctx) => {
        const file = ctx.get(TOKENS.Config).metricsEventsFile;
        if (!file) return ctx.get(PROMETHEUS);
        const log = ctx.get(TOKENS.Logger).child('metrics');
        return new MetricEventsFileMetrics(ctx.get(PROMETHEUS), file, (message) => log.warn(message));
      })
      .inSingletonScope();
    bind(TOKENS.MetricsExporter)
      .toDynamicValue((ctx) => ctx.get(PROMETHEUS))
      .inSingletonScope();
  });
