//@ts-check
import { backoffDelay } from './backoff.js';
import { parseFrame } from './protocol.js';

/**
 * connecting: a handshake is under way; open: frames flow; waiting: the socket closed and a
 * reconnect is scheduled after `retryInMs`.
 * @typedef {{ state: 'connecting' | 'open' | 'waiting', attempt: number, retryInMs?: number }} SocketStatus
 */

/**
 * @typedef {object} SocketLike the part of the browser's WebSocket this class uses
 * @property {number} readyState
 * @property {(data: string) => void} send
 * @property {(code?: number, reason?: string) => void} close
 * @property {((event: any) => void) | null} onopen
 * @property {((event: any) => void) | null} onmessage
 * @property {((event: any) => void) | null} onclose
 * @property {((event: any) => void) | null} onerror
 */

/**
 * @typedef {object} ChatSocketOptions
 * @property {(url: string) => SocketLike} [createSocket]
 * @property {(callback: () => void, ms: number) => any} [schedule]
 * @property {(handle: any) => void} [cancel]
 * @property {() => number} [random]
 */

const OPEN = 1;

/**
 * The page's one WebSocket to `/ws`, reopened by itself with backoff whenever it closes.
 * Events: `status` (detail: SocketStatus), `frame` (detail: a parsed server frame),
 * `open` (detail: { reconnected: boolean }), `close`.
 */
export class ChatSocket extends EventTarget {
  /**
   * @param {string} url
   * @param {ChatSocketOptions} [options]
   */
  constructor(url, {
    createSocket = (u) => new WebSocket(u),
    schedule = (callback, ms) => setTimeout(callback, ms),
    cancel = (handle) => clearTimeout(handle),
    random = Math.random,
  } = {}) {
    super();
    this.url = url;
    this.createSocket = createSocket;
    this.schedule = schedule;
    this.cancel = cancel;
    this.random = random;
    /** @type {SocketLike | null} */
    this.socket = null;
    /** @type {any} */
    this.timer = null;
    /** Failed attempts since the socket was last open. */
    this.attempt = 0;
    this.everOpened = false;
    /** @type {SocketStatus} */
    this.status = { state: 'connecting', attempt: 0 };
  }

  get isOpen() {
    return this.socket?.readyState === OPEN && this.status.state === 'open';
  }

  /** Opens the socket now (also cuts a scheduled wait short: the "retry now" button, the browser coming online). */
  connect() {
    if (this.socket && this.status.state !== 'waiting') {
      return;
    }
    this.cancel(this.timer);
    this.timer = null;
    this.setStatus({ state: 'connecting', attempt: this.attempt });
    const socket = this.createSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.attempt = 0;
      this.setStatus({ state: 'open', attempt: 0 });
      this.dispatchEvent(new CustomEvent('open', { detail: { reconnected } }));
    };
    socket.onmessage = (event) => {
      const frame = parseFrame(event.data);
      if (frame) {
        this.dispatchEvent(new CustomEvent('frame', { detail: frame }));
      }
    };
    // A failed handshake fires error, then close: close alone decides what happens next.
    socket.onerror = () => {};
    socket.onclose = () => {
      if (this.socket !== socket) {
        return;
      }
      this.socket = null;
      this.dispatchEvent(new CustomEvent('close'));
      this.attempt += 1;
      const retryInMs = backoffDelay(this.attempt, { random: this.random });
      this.setStatus({ state: 'waiting', attempt: this.attempt, retryInMs });
      this.timer = this.schedule(() => this.connect(), retryInMs);
    };
  }

  /**
   * @param {string} frame
   * @returns {boolean} false when the socket is not open: the frame was not sent
   */
  send(frame) {
    if (!this.socket || !this.isOpen) {
      return false;
    }
    this.socket.send(frame);
    return true;
  }

  /** @param {SocketStatus} status */
  setStatus(status) {
    this.status = status;
    this.dispatchEvent(new CustomEvent('status', { detail: status }));
  }
}
