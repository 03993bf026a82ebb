/**
 * A rule's view of the runner. Rules run side by side, so their progress lines would interleave in
 * the log: each rule's lines are kept and printed as one foldable group when the rule is done.
 * Warnings go out at once (they are annotations on the run's page), named after the rule. A
 * `setFailed` (fail-on-match) is kept: the step fails at the end, naming the rule. Outputs are the
 * rules' together (steps/rules.ts), so a rule sets none of its own.
 */
import type { Runner } from '../runner.js'

export class RuleLog implements Runner {
  readonly lines: string[] = []
  readonly failures: string[] = []

  constructor(
    private readonly outer: Runner,
    private readonly rule: string,
  ) {}

  readonly info = (line: string): void => {
    this.lines.push(line)
  }

  readonly warning: Runner['warning'] = (line, annotation) => {
    this.lines.push(`Warning: ${line}`)
    const title = `${annotation?.title ?? 'insights-watch'} (rule ${this.rule})`
    this.outer.warning(`Rule "${this.rule}": ${line}`, { ...annotation, title })
  }

  readonly group = <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    this.lines.push(`▸ ${name}`)
    return fn()
  }

  readonly setFailed = (message: string): void => {
    this.failures.push(message)
  }

  readonly setOutput = (): void => {}

  get summary(): Runner['summary'] {
    return this.outer.summary
  }

  readonly getInput = (name: string): string => this.outer.getInput(name)
  readonly setSecret = (value: string): void => this.outer.setSecret(value)
  readonly getIDToken = (audience: string): Promise<string> => this.outer.getIDToken(audience)

  /** Prints the rule's lines as one group titled `title`. */
  async flush(title: string): Promise<void> {
    const lines = this.lines.splice(0)
    await this.outer.group(title, async () => {
      for (const line of lines) this.outer.info(line)
    })
  }
}
