const { TestEnvironment } = require('jest-environment-node');

// Jest tells a test file nothing of its tests' results: the environment sees them fail.
module.exports = class extends TestEnvironment {
  handleTestEvent(event) {
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') this.global.testFailed = true;
  }
};
