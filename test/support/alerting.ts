/**
 * The alerting inputs the action had before the quiet defaults (issue 12): every window with a match
 * alerts, every alerting window posts, and the first clean window after one posts "resolved". For
 * tests about something else (windows, checkpoints, faults, delivery) that count Slack posts per run;
 * tests of the alerting defaults themselves use the action's defaults.
 */
export const EVERY_WINDOW_ALERTS: Readonly<Record<string, string>> = {
  thresholds: '1',
  realert: '0',
  'resolve-after': '0',
}
