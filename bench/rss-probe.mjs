// Preloaded with `node --import` into a benchmarked process (the action, or the reference client):
// on exit, writes the process's peak resident set size to $BENCH_RSS_FILE, so the bench reads the
// peak RSS of that process alone. `process.resourceUsage().maxRSS` is in kilobytes (getrusage's
// ru_maxrss). The 'exit' event also fires after process.exit() and process.exitCode.
import { writeFileSync } from 'node:fs'

const file = process.env.BENCH_RSS_FILE
if (file) {
  process.on('exit', () => {
    writeFileSync(file, JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, pid: process.pid }))
  })
}
