//@ts-check
/** Ids the page makes: W3C trace context for each message, and the client's message ids. */

/** @typedef {(bytes: Uint8Array) => Uint8Array} RandomFill */

/** @type {RandomFill} */
const cryptoFill = (bytes) => crypto.getRandomValues(bytes);

/**
 * @param {number} length
 * @param {RandomFill} fill
 * @returns {string} lowercase hex, never all zeros (the W3C spec forbids all-zero ids)
 */
function randomHex(length, fill) {
  for (;;) {
    const bytes = fill(new Uint8Array(length));
    if (bytes.some((b) => b !== 0)) {
      return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    }
  }
}

/**
 * A new W3C `traceparent` (version 00, sampled): a new trace starts at each user message.
 * @param {RandomFill} [fill]
 * @returns {string}
 */
export function createTraceparent(fill = cryptoFill) {
  return `00-${randomHex(16, fill)}-${randomHex(8, fill)}-01`;
}

/** @param {string} value */
export function isTraceparent(value) {
  return /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/.test(value);
}

/**
 * The client's id for a message: echoed as `replyTo` on the reply's frames.
 * @param {RandomFill} [fill]
 */
export function createClientId(fill = cryptoFill) {
  return `c-${randomHex(8, fill)}`;
}
