import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** Node 24 is what the runner uses for `using: node24`; tests run dist/index.js under it. */
const installDir = resolve(import.meta.dirname, '../../.cache/node24')
const binary = join(installDir, 'node_modules/node/bin/node')

/**
 * The path of a Node 24 binary: $NODE24 when set, else one installed from the npm registry's `node`
 * package into .cache/ (once; later calls reuse it).
 */
export function node24Path(): string {
  if (process.env.NODE24) return process.env.NODE24
  if (!existsSync(binary)) {
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        installDir,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        'node@24',
      ],
      {
        stdio: 'inherit',
      },
    )
  }
  const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim()
  if (!version.startsWith('v24.')) throw new Error(`${binary} is ${version}, not Node 24`)
  return binary
}
