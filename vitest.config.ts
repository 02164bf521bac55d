import { defineConfig } from 'vitest/config';

// One vitest run covers every suite; `npm test` starts the emulators around it.
// The rules and browser suites need the emulators (FIRESTORE_EMULATOR_HOST is set by
// `firebase emulators:exec`); run alone they say why they skip.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'rules',
          include: ['test/rules/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
