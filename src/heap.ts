import { setFlagsFromString } from 'node:v8'

/**
 * Keeps V8's young generation at its starting size for this process.
 *
 * A large result arrives as 10,000-row responses that the SDK parses whole, several at once. While
 * they are alive, scavenges find much of the young generation surviving, and V8 answers by doubling
 * its semi-spaces up to their maximum; the space stays committed after the rows are gone. That
 * growth, not anything the run keeps, is most of the peak RSS of a 100,000-row run: 330–370 MB with
 * it, about 210–235 MB without (`npm run bench`), for about 10% more CPU in more, smaller scavenges.
 * A scheduled monitor shares its runner with the job's other steps, so memory is the better trade.
 *
 * The flag is read at each growth decision, so setting it at start-up takes effect for the whole run.
 * Node documents flag changes after start-up as unsupported in general; this one only tunes a
 * heuristic: if a future V8 dropped it, V8 would print "unrecognized flag" and the run would only use
 * more memory, as before.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1')
}
