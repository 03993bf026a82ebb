import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { StateStore } from './store.js'

/** `state: file:<path>`: a JSON file, for self-hosted runners and local runs. */
export function createFileStore(path: string): StateStore {
  const absolute = resolve(path)
  return {
    description: `file ${absolute}`,
    async load() {
      try {
        return await readFile(absolute, 'utf8')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
      }
    },
    async save(content) {
      await mkdir(dirname(absolute), { recursive: true })
      // Write then rename: a run killed mid-write leaves the previous state, never half a file.
      const partial = `${absolute}.${process.pid}.tmp`
      await writeFile(partial, content, 'utf8')
      await rename(partial, absolute)
    },
  }
}

/** `state: none`: every run is a first run (no checkpoint, no overlap). */
export function createNullStore(): StateStore {
  return {
    description: 'none (every run checks the last interval)',
    load: async () => undefined,
    save: async () => {},
  }
}
