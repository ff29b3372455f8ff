module.exports = {
  globalSetup: './jest.global-setup.cjs',
  globalTeardown: './jest.global-teardown.cjs',
  testEnvironment: './jest.environment.cjs',
  // Hooks too: the first beforeAll builds the template (every migration), which can take longer than 5 s.
  testTimeout: 60_000,
};
