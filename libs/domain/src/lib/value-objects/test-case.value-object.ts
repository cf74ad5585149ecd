/**
 * One candidate test as generators produce it and the validator, minimiser and assembler consume it: a test
 * function (or a `class Test...` holding one test method) plus what it needs at module level.
 * Shaped so an LLM parser's `{ name, code, className }` and its answer's `imports`/`support` map onto it 1:1.
 */
export interface TestCase {
  /** The test function's name (`test_...`). Unique among the cases of one target after assembly. */
  readonly name: string;
  /**
   * Source of the unit, starting at column 0: the function with its decorators, or `class Test...:` holding
   * this test method (then `className` is set). No imports, no module-level helpers.
   */
  readonly code: string;
  /** The class holding the test method, when `code` is a `class Test...` block. */
  readonly className?: string;
  /** Import statements it needs, one per entry (`import pytest`, `from shop.cart import Cart`). */
  readonly imports: readonly string[];
  /**
   * Module-level blocks it needs besides imports: fixtures (with their `@pytest.fixture` decorator), helper
   * functions and constants, each a complete block starting at column 0. Identical blocks are emitted once.
   */
  readonly support?: readonly string[];
  /**
   * A strict `xfail` test (a suspected defect pinned on request): it holds when pytest reports it `xfail`, and
   * fails when the code under test stops raising.
   */
  readonly expectedFailure?: boolean;
  /** It runs the module's own doctest examples (the author's tests, not ours: see the report's `withoutDoctests`). */
  readonly doctest?: boolean;
}
