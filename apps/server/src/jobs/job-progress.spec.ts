import { progressEventOf, ProgressTracker } from './job-progress';

const line = (event: object) => JSON.stringify({ progress: event });

describe('job progress from the generation process', () => {
  it('reads only progress lines: log lines, warnings and broken JSON are not events', () => {
    expect(progressEventOf(line({ type: 'module-start', module: 'pkg.a', of: 2 }))).toEqual({
      type: 'module-start',
      module: 'pkg.a',
      of: 2,
    });
    expect(progressEventOf('{"level":"warn","msg":"slow"}')).toBeUndefined();
    expect(progressEventOf('{"progress": {"type": "module-start"')).toBeUndefined();
    expect(progressEventOf(line({ type: 'module-start' }))).toBeUndefined();
    expect(progressEventOf('[1/2] pkg.a: 3 tests')).toBeUndefined();
  });

  it('follows modules in the order they start, each with its tests and coverage once done', () => {
    const tracker = new ProgressTracker();
    expect(tracker.view()).toEqual({ modulesDone: 0 });
    tracker.apply({ type: 'module-start', module: 'pkg.a', of: 3 });
    tracker.apply({ type: 'module-start', module: 'pkg.b', of: 3 });
    tracker.apply({
      type: 'module-done',
      module: 'pkg.b',
      done: 1,
      of: 3,
      tests: 4,
      combinedPercent: 91.5,
      durationMs: 900,
    });
    tracker.apply({
      type: 'module-done',
      module: 'pkg.a',
      done: 2,
      of: 3,
      tests: 0,
      combinedPercent: 0,
      durationMs: 10,
      skipped: 'pkg.a cannot be imported',
    });
    expect(tracker.view()).toEqual({
      modulesDone: 2,
      modules: 3,
      perModule: [
        { module: 'pkg.a', state: 'skipped', tests: 0, reason: 'pkg.a cannot be imported' },
        { module: 'pkg.b', state: 'done', tests: 4, combinedPercent: 91.5 },
      ],
    });
  });

  it("follows a module's LLM phase chunk by chunk and round by round, and keeps why it stopped", () => {
    const tracker = new ProgressTracker();
    const module = 'pkg.big';
    tracker.apply({ type: 'module-start', module, of: 1 });
    tracker.apply({ type: 'chunk-start', module, chunk: 0, of: 2, symbols: ['parse', 'Lexer'], iteration: 1 });
    expect(tracker.view().perModule).toEqual([
      {
        module,
        state: 'running',
        chunks: { of: 2, round: 1, done: 0, current: { chunk: 1, symbols: ['parse', 'Lexer'] } },
      },
    ]);
    tracker.apply({ type: 'chunk-done', module, chunk: 0, accepted: 2, combinedPercent: 40, tokens: 900 });
    tracker.apply({ type: 'chunk-start', module, chunk: 1, of: 2, symbols: ['emit'], iteration: 1 });
    tracker.apply({ type: 'chunk-done', module, chunk: 1, accepted: 1, combinedPercent: 70, tokens: 1700 });
    tracker.apply({ type: 'chunk-start', module, chunk: 1, of: 2, symbols: ['emit'], iteration: 2 });
    expect(tracker.view().perModule?.[0]).toEqual({
      module,
      state: 'running',
      combinedPercent: 70,
      tokens: 1700,
      chunks: { of: 2, round: 2, done: 2, current: { chunk: 2, symbols: ['emit'] } },
    });
    tracker.apply({ type: 'stopped', module, reason: 'target', combinedPercent: 85 });
    tracker.apply({ type: 'module-done', module, done: 1, of: 1, tests: 5, combinedPercent: 86, durationMs: 5000 });
    expect(tracker.view()).toEqual({
      modulesDone: 1,
      modules: 1,
      perModule: [
        {
          module,
          state: 'done',
          tests: 5,
          combinedPercent: 86,
          tokens: 1700,
          chunks: { of: 2, round: 2, done: 2, stopped: 'target' },
        },
      ],
    });
  });

  it('ignores events it does not know (a newer CLI may send more)', () => {
    const tracker = new ProgressTracker();
    tracker.apply({ type: 'module-start', module: 'm', of: 1 });
    tracker.apply({ type: 'phase', module: 'm', phase: 'search' });
    expect(tracker.view()).toEqual({ modulesDone: 0, modules: 1, perModule: [{ module: 'm', state: 'running' }] });
  });
});
