//@ts-check
/**
 * Keeps the newest text in view while a reply streams, unless the user scrolled up to read:
 * then the view stays where they put it and a "jump to latest" button appears.
 */

/** How close to the bottom (px) still counts as "at the bottom". */
const Slack = 48;

/**
 * @param {{ scrollTop: number, clientHeight: number, scrollHeight: number }} box
 */
export function isAtBottom({ scrollTop, clientHeight, scrollHeight }) {
  return scrollHeight - (scrollTop + clientHeight) <= Slack;
}

export class ScrollFollower {
  /**
   * @param {HTMLElement} scroller the scrolling element
   * @param {HTMLButtonElement} jumpButton shown while the user is away from the bottom and there is more below
   */
  constructor(scroller, jumpButton) {
    this.scroller = scroller;
    this.jumpButton = jumpButton;
    this.following = true;
    scroller.addEventListener('scroll', () => {
      this.following = isAtBottom(scroller);
      this.updateButton();
    }, { passive: true });
    jumpButton.addEventListener('click', () => this.jumpToLatest());
  }

  /** Call after content changed: follows when the user was at the bottom. */
  contentChanged() {
    if (this.following) {
      this.scroller.scrollTop = this.scroller.scrollHeight;
    }
    this.updateButton();
  }

  /** Back to the bottom, and follow again. */
  jumpToLatest() {
    this.following = true;
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.updateButton();
  }

  updateButton() {
    this.jumpButton.hidden = this.following || isAtBottom(this.scroller);
  }
}
