import { defineConfig } from 'vitest/config';

// hookTimeout: the first beforeAll builds the template (every migration), which can take longer than 10 s.
export default defineConfig({ test: { globalSetup: './vitest.global-setup.js', hookTimeout: 60_000 } });
