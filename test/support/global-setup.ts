import { node24Path } from './node24.js'

/** Installs Node 24 once before any test file runs, so parallel end-to-end files do not race to install it. */
export default function setup(): void {
  node24Path()
}
