module.exports = {
  globalSetup: './jest.global-setup.cjs',
  globalTeardown: './jest.global-teardown.cjs',
  testEnvironment: './jest.environment.cjs',
};
