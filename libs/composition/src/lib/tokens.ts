import type { ServiceIdentifier } from 'inversify';
import type {
  ExecutionSandbox,
  HealthCheck,
  Logger,
  Metrics,
  TestExecutor,
  TestFileStore,
  TestWorkspace,
} from '@test-agent/domain';
import type { ModuleLocator } from '@test-agent/domain';
import type { GenerateTests } from '@test-agent/application';
import type {
  CoverageAggregator,
  FlakinessChecker,
  MeasureCoverage,
  TestDeduplicator,
  TestFileAssembler,
  TestFileEmitter,
} from '@test-agent/application';
import type {
  LlmService,
  MetricsExporter,
  ProjectPython,
  PythonEnvironment,
  PythonLauncher,
} from '@test-agent/infrastructure';
import type { CodeParser, PythonSourceReader, RemoteTokenCounter, TokenCounterFactory } from '@test-agent/domain';
import type { ChunkModule, CountTokens } from '@test-agent/application';
import type { TestAgentConfig } from './config/load-config';

/** Service identifiers of the container. One symbol per service; `HealthCheck` is multi-bound. */
export const TOKENS = {
  Config: Symbol.for('TestAgent.Config') as ServiceIdentifier<TestAgentConfig>,
  Logger: Symbol.for('TestAgent.Logger') as ServiceIdentifier<Logger>,
  PythonEnvironment: Symbol.for('TestAgent.PythonEnvironment') as ServiceIdentifier<PythonEnvironment>,
  /** The project's interpreter per module (its venv), with Test Agent's tooling beside it. */
  ProjectPython: Symbol.for('TestAgent.ProjectPython') as ServiceIdentifier<ProjectPython>,
  /** Starts every Python process that runs the code under test: limits and the bubblewrap sandbox. */
  PythonLauncher: Symbol.for('TestAgent.PythonLauncher') as ServiceIdentifier<PythonLauncher>,
  HealthCheck: Symbol.for('TestAgent.HealthCheck') as ServiceIdentifier<HealthCheck>,
  /** Counting what Test Agent does (prom-client registry underneath). */
  Metrics: Symbol.for('TestAgent.Metrics') as ServiceIdentifier<Metrics>,
  /** The same registry, rendered for a scrape (`/metrics`). */
  MetricsExporter: Symbol.for('TestAgent.MetricsExporter') as ServiceIdentifier<MetricsExporter>,
  /** The LLM gateway: the configured endpoint chain with resilience; `configured` is false with LLM_PROVIDER=none. */
  LlmService: Symbol.for('TestAgent.LlmService') as ServiceIdentifier<LlmService>,
  /** Isolated Python executor that imports a module and runs call plans (the offline engine's runtime). */
  ExecutionSandbox: Symbol.for('TestAgent.ExecutionSandbox') as ServiceIdentifier<ExecutionSandbox>,
  /** Where modules are found and reports written. */
  TestWorkspace: Symbol.for('TestAgent.TestWorkspace') as ServiceIdentifier<TestWorkspace>,
  /** Runs pytest under coverage.py against the user's module. */
  TestExecutor: Symbol.for('TestAgent.TestExecutor') as ServiceIdentifier<TestExecutor>,
  /** Where test files are written (never over a user's file). */
  TestFileStore: Symbol.for('TestAgent.TestFileStore') as ServiceIdentifier<TestFileStore>,
  /** Import root and dotted name of a module file. */
  ModuleLocator: Symbol.for('TestAgent.ModuleLocator') as ServiceIdentifier<ModuleLocator>,
  /** Union of coverage across runs and the per-chunk table. */
  CoverageAggregator: Symbol.for('TestAgent.CoverageAggregator') as ServiceIdentifier<CoverageAggregator>,
  /** Duplicate removal and coverage-preserving minimisation of test cases. */
  TestDeduplicator: Symbol.for('TestAgent.TestDeduplicator') as ServiceIdentifier<TestDeduplicator>,
  /** Merges test cases into one pytest file per target. */
  TestFileAssembler: Symbol.for('TestAgent.TestFileAssembler') as ServiceIdentifier<TestFileAssembler>,
  /** Writes assembled files without overwriting a user's test file (unless forced). */
  TestFileEmitter: Symbol.for('TestAgent.TestFileEmitter') as ServiceIdentifier<TestFileEmitter>,
  /** Re-runs candidates in fresh processes (flakiness) and the suite together (pollution). */
  FlakinessChecker: Symbol.for('TestAgent.FlakinessChecker') as ServiceIdentifier<FlakinessChecker>,
  /** The `coverage` use case. */
  MeasureCoverage: Symbol.for('TestAgent.MeasureCoverage') as ServiceIdentifier<MeasureCoverage>,
  /** The `generate` use case. */
  GenerateTests: Symbol.for('TestAgent.GenerateTests') as ServiceIdentifier<GenerateTests>,
  /** tree-sitter module outlines. */
  CodeParser: Symbol.for('TestAgent.CodeParser') as ServiceIdentifier<CodeParser>,
  /** Token counters per model profile (one encoder per tokenizer per process). */
  TokenCounterFactory: Symbol.for('TestAgent.TokenCounterFactory') as ServiceIdentifier<TokenCounterFactory>,
  /** Optional: GigaChat's `/tokens/count`; when an LLM module binds it, GigaChat counts are exact. */
  RemoteTokenCounter: Symbol.for('TestAgent.RemoteTokenCounter') as ServiceIdentifier<RemoteTokenCounter>,
  /** Reads the user's Python files and lists packages. */
  PythonSourceReader: Symbol.for('TestAgent.PythonSourceReader') as ServiceIdentifier<PythonSourceReader>,
  /** The `chunk` use case (also used by generation and per-chunk coverage). */
  ChunkModule: Symbol.for('TestAgent.ChunkModule') as ServiceIdentifier<ChunkModule>,
  /** The `tokens` use case. */
  CountTokens: Symbol.for('TestAgent.CountTokens') as ServiceIdentifier<CountTokens>,
} as const;
