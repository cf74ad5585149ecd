// A node test environment that loads native addons once per jest worker and exposes them to the test
// sandbox. tree-sitter patches its own prototypes on load; a second load in the same worker (jest re-requires
// modules per test file) leaves `tree.rootNode` undefined. The shims in this folder read these globals.
const { TestEnvironment } = require('jest-environment-node');

let addons;
function loadAddons() {
  if (!addons) {
    addons = { TreeSitter: require('tree-sitter'), TreeSitterPython: require('tree-sitter-python') };
  }
  return addons;
}

class NativeAddonsEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.global.__TEST_AGENT_NATIVE__ = loadAddons();
  }
}

module.exports = NativeAddonsEnvironment;
