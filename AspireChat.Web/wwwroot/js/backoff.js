//@ts-check
/**
 * Reconnect delays: exponential with "equal jitter", so a crowd of pages that lost the same
 * server does not come back in lock step, and the first retry is quick.
 */

/**
 * @typedef {object} BackoffOptions
 * @property {number} [baseMs] delay before the first retry, before jitter
 * @property {number} [maxMs] the ceiling the delay grows to
 * @property {() => number} [random] a number in [0, 1)
 */

/**
 * The delay before reconnect attempt `attempt` (1 for the first retry): half of the
 * exponential step is fixed, half is random.
 * @param {number} attempt
 * @param {BackoffOptions} [options]
 * @returns {number} milliseconds
 */
export function backoffDelay(attempt, { baseMs = 500, maxMs = 10_000, random = Math.random } = {}) {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}
