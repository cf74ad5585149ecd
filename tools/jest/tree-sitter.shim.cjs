module.exports = globalThis.__TEST_AGENT_NATIVE__.TreeSitter;
