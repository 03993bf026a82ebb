/**
 * The runner, as the action sees it: the one module that calls `@actions/core`. The rest of the code
 * takes a `Runner` (through `RunDeps`), so tests can drive a run without a runner, and every line
 * printed goes through the workflow-command gate (workflow-log.ts) on its way out.
 */
import * as core from '@actions/core'
import { inertForWorkflowLog } from './workflow-log.js'

/** Annotation properties: `title` is the one this action sets. */
type Annotation = core.AnnotationProperties

/** The job summary buffer (`core.summary`): written once, at the end of a run. */
type JobSummary = typeof core.summary

export interface Runner {
  /** A line of progress in the log. */
  info(line: string): void
  /** A warning annotation: shown on the run's page, and in the log. */
  warning(line: string, annotation?: Annotation): void
  /** A foldable group of log lines around `fn`. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
  /** Fails the step with an error annotation. */
  setFailed(message: string): void
  setOutput(name: string, value: string): void
  summary: JobSummary
  /** One input, as the workflow gives it (trimmed; '' when not set). */
  getInput(name: string): string
  /** Masks a value in the log from here on. */
  setSecret(value: string): void
  /** A GitHub OIDC token for `audience` (needs `permissions: id-token: write`). */
  getIDToken(audience: string): Promise<string>
}

function inertAnnotation(annotation: Annotation | undefined): Annotation | undefined {
  if (!annotation?.title) return annotation
  return { ...annotation, title: inertForWorkflowLog(annotation.title) }
}

/** The real runner, through @actions/core, with every printed line made inert. */
export const actionsRunner: Runner = {
  info: (line) => core.info(inertForWorkflowLog(line)),
  warning: (line, annotation) => core.warning(inertForWorkflowLog(line), inertAnnotation(annotation)),
  group: (name, fn) => core.group(inertForWorkflowLog(name), fn),
  setFailed: (message) => core.setFailed(inertForWorkflowLog(message)),
  setOutput: (name, value) => core.setOutput(name, value),
  summary: core.summary,
  getInput: (name) => core.getInput(name),
  setSecret: (value) => core.setSecret(value),
  getIDToken: (audience) => core.getIDToken(audience),
}
