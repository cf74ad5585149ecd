// One generation run's units: the request, the strategies, the suite finaliser, the conftest writer and the report.
export * from './generation-request';
export * from './report/generation-report';
export * from './report/report-facts';
export * from './report/json-report.renderer';
export * from './report/markdown-report.renderer';
export * from './conftest-writer.service';
export * from './module-coverage.service';
export * from './module-test-writer.service';
export * from './suite-finaliser.service';
export * from './mutation/mutation-report';
export * from './mutation/mutant-sample';
export * from './mutation/mutation-tester.service';
export * from './strategies/generation-strategy';
export * from './strategies/offline-validation.service';
export * from './strategies/offline.strategy';
export * from './strategies/llm-loop-runner.service';
export * from './strategies/llm.strategy';
