import 'reflect-metadata';

export * from './lib/config/settings';
export * from './lib/config/load-config';
export * from './lib/tokens';
export * from './lib/create-container';
export * from './lib/create-test-agent';
export * from './lib/cleanups';
// A server replays the metrics its job processes recorded (apps reach infrastructure only through composition).
export {
  applyMetricEvent,
  MetricEventRecorder,
  replayMetricEvents,
  type MetricEvent,
} from '@test-agent/infrastructure';
