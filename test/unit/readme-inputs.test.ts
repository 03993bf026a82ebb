import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { cell, renderReadme } from '../../scripts/readme-inputs.js'

const root = join(import.meta.dirname, '../..')
const script = join(root, 'scripts/readme-inputs.ts')

/** `npm run docs:inputs -- <args>`, without npm. */
function docsInputs(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: root, encoding: 'utf8' })
}

let scratch: string | undefined

afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true })
  scratch = undefined
})

describe('README tables from action.yml (scripts/readme-inputs.ts)', () => {
  it("README.md's inputs and outputs tables are up to date with action.yml (--check)", () => {
    const check = docsInputs('--check')
    expect(check.stderr).toBe('')
    expect(check.status).toBe(0)
  })

  it('--check fails on a description changed in action.yml only, and a regeneration fixes it', () => {
    scratch = mkdtempSync(join(tmpdir(), 'insights-watch-readme-'))
    copyFileSync(join(root, 'README.md'), join(scratch, 'README.md'))
    const action = readFileSync(join(root, 'action.yml'), 'utf8')
    const changed = action.replace('Audience of the OIDC token.', 'The OIDC audience | changed.')
    expect(changed).not.toBe(action)
    writeFileSync(join(scratch, 'action.yml'), changed)

    const check = docsInputs('--check', scratch)
    expect(check.status).toBe(1)
    expect(check.stderr).toContain('npm run docs:inputs')
    expect(readFileSync(join(scratch, 'README.md'), 'utf8')).toBe(
      readFileSync(join(root, 'README.md'), 'utf8'),
    )

    expect(docsInputs(scratch).status).toBe(0)
    const readme = readFileSync(join(scratch, 'README.md'), 'utf8')
    expect(readme).toContain('| `audience` | `sts.amazonaws.com` | The OIDC audience \\| changed. |')
    expect(docsInputs('--check', scratch).status).toBe(0)
  })

  it('lists every input and output of action.yml, required ones and defaults in their own column', () => {
    const actionYml = [
      'inputs:',
      '  needed:',
      '    description: Must be set.',
      '    required: true',
      '  piped:',
      '    description: Has a default.',
      '    required: false',
      "    default: 'a | b'",
      '  plain:',
      '    description: No default.',
      'outputs:',
      '  result:',
      '    description: What came out.',
    ].join('\n')
    const readme =
      'Intro\n<!-- inputs:start -->\nold\n<!-- inputs:end -->\nMiddle\n<!-- outputs:start --><!-- outputs:end -->\nEnd\n'
    expect(renderReadme(readme, actionYml)).toBe(
      [
        'Intro',
        '<!-- inputs:start -->',
        '',
        '| input | default | description |',
        '|---|---|---|',
        '| `needed` | **required** | Must be set. |',
        '| `piped` | `a \\| b` | Has a default. |',
        '| `plain` | — | No default. |',
        '',
        '<!-- inputs:end -->',
        'Middle',
        '<!-- outputs:start -->',
        '',
        '| output | description |',
        '|---|---|',
        '| `result` | What came out. |',
        '',
        '<!-- outputs:end -->',
        'End',
        '',
      ].join('\n'),
    )
  })

  it('refuses a README without the markers', () => {
    expect(() => renderReadme('# no markers\n', 'inputs: {}\n')).toThrow('<!-- inputs:start -->')
  })

  it('escapes what would break a table cell or vanish as HTML, and keeps code spans as written', () => {
    expect(cell('one | two\nthree\r\nfour\n')).toBe('one \\| two<br>three<br>four')
    expect(cell('defaults to insights-watch-<run id>')).toBe('defaults to insights-watch-&lt;run id>')
    expect(cell('use `<!here>` or `a | b`, not <b>')).toBe('use `<!here>` or `a \\| b`, not &lt;b>')
    expect(cell('``a ` <b>`` <c>')).toBe('``a ` <b>`` &lt;c>')
    expect(cell('a `code\nspan` b\nc')).toBe('a `code span` b<br>c')
  })
})
