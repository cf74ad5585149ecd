import { ContainerModule, type ServiceIdentifier } from 'inversify';
import { PrometheusMetrics } from '@test-agent/infrastructure';
import { TOKENS } from '../tokens';

const PROMETHEUS = Symbol.for('TestAgent.PrometheusMetrics') as ServiceIdentifier<PrometheusMetrics>;

/** Metrics: one prom-client registry per container, recorded through `Metrics`, scraped through `MetricsExporter`. */
export const observabilityModule = () =>
  new ContainerModule(({ bind }) => {
    bind(PROMETHEUS)
      .toDynamicValue((ctx) => {
        const log = ctx.get(TOKENS.Logger).child('metrics');
        return new PrometheusMetrics((message) => log.warn(message));
      })
      .inSingletonScope();
    bind(TOKENS.Metrics).toDynamicValue((ctx) => ctx.get(PROMETHEUS)).inSingletonScope();
    bind(TOKENS.MetricsExporter).toDynamicValue((ctx) => ctx.get(PROMETHEUS)).inSingletonScope();
  });
