/**
 * How long a run may take. The state machine stops a run at its TimeoutSeconds, whatever it is doing;
 * the check loop therefore ends at the run deadline, which leaves the finish margin for tags, retention
 * and the report. A test keeps STATE_MACHINE_TIMEOUT_SECONDS equal to the definition's TimeoutSeconds.
 */
export const STATE_MACHINE_TIMEOUT_SECONDS = 72 * 3600;
/** Left after the run deadline for the parts to finish (tags, retention, report). */
export const FINISH_MARGIN_SECONDS = 6 * 3600;
/** From a run's start to its deadline. */
export const RUN_BUDGET_SECONDS = STATE_MACHINE_TIMEOUT_SECONDS - FINISH_MARGIN_SECONDS;
