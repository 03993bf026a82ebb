import { defineConfig } from 'vitest/config'

/**
 * `npm run test:aws`: the contract suite against real AWS (test/contract/). Its files end in
 * `.contract.ts`, so the default config (`test/**\/*.test.ts`, `npm test`) never picks them up.
 */
export default defineConfig({
  test: {
    include: ['test/contract/**/*.contract.ts'],
    globalSetup: ['test/contract/global-setup.ts'],
    // One action run: a real query, plus the Node start-up; the hook waits for ingestion (minutes).
    testTimeout: 4 * 60_000,
    hookTimeout: 7 * 60_000,
    fileParallelism: false,
    // Every scenario by name, so a skipped suite reads as skipped, not as a pass.
    reporters: ['verbose'],
  },
})
