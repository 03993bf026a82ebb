/**
 * `npm run build`: bundles src/ into dist/ with ncc, then records what it was built from
 * (dist/build-inputs.sha256, see build-inputs.ts).
 *
 * dist/ is emptied first: ncc writes its files over what is there and deletes nothing, so a lazily
 * loaded chunk an earlier build emitted under another id stayed in dist/ and in the commit (until
 * 1.0.0, dist/691.index.js, a 2.4 MB copy of @actions/cache and the Azure SDK that nothing loaded).
 *
 * No source maps: the runner does not apply them unless the bundle loads source-map-support
 * (sourcemap-register.cjs, 40 kB, and work at every start), they were half of dist/ and of what a
 * runner downloads, and ncc's output is not minified: a stack trace names the functions, and the line
 * in dist/index.js sits under a `// CONCATENATED MODULE: ./src/<file>.ts` comment.
 *
 * The lazily loaded chunks (dist/<id>.index.js: @actions/cache with the Azure SDK, @slack/web-api,
 * @actions/github, the rules file's YAML parser) are then reprinted without comments and whitespace
 * (esbuild, `minifyWhitespace` only: names and code stay as they are, so a stack trace still names
 * its functions). The Azure SDK is mostly doc comments: what a runner downloads for `uses:` drops by
 * a seventh. dist/index.js, where our own code runs first, stays as ncc wrote it.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { transformSync } from 'esbuild'
import { writeBuildInputsRecord } from './build-inputs.js'

const root = resolve(import.meta.dirname, '..')
const ncc = join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js')

rmSync(join(root, 'dist'), { recursive: true, force: true })
execFileSync(process.execPath, [ncc, 'build', 'src/index.ts', '-o', 'dist', '--license', 'licenses.txt'], {
  cwd: root,
  stdio: 'inherit',
})
for (const chunk of readdirSync(join(root, 'dist')).filter((name) => /^\d+\.index\.js$/.test(name))) {
  const path = join(root, 'dist', chunk)
  const { code } = transformSync(readFileSync(path, 'utf8'), { loader: 'js', minifyWhitespace: true })
  writeFileSync(path, code)
}
writeBuildInputsRecord(root)
