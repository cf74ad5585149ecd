export * from './python-source';
export * from './random-source';
export * from './input-generator';
export * from './search-engine.service';
export * from './test-namer';
export * from './pytest-emitter';
export * from './offline-test-generator.service';
export * from './test-simplifier';
