// Your own video during a call: a small picture-in-picture that you can drag
// out of the way. On release it snaps to the nearest corner.
//
// CSS owns where the corners are (app.css: inside the safe areas, the bottom ones
// above the call bar), so the picture stays put through rotation and resizing.
// This module only follows the pointer and, on release, animates from where the
// finger let go into the new corner: it changes the corner at once and lets the
// CSS `translate` property (separate from the mirroring `transform`) carry the
// picture the rest of the way (the FLIP technique).

export type Corner = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';

/**
 * Makes `video` draggable while `active()` is true (during a call; before it the
 * same element is the full-screen preview). Its corner is `video.dataset.corner`.
 */
export function attachPip(video: HTMLElement, active: () => boolean): void {
  video.dataset.corner = 'top-right' satisfies Corner;
  let drag: { id: number; x: number; y: number; rect: DOMRect; bounds: DOMRect; dx: number; dy: number } | null = null;

  video.addEventListener('pointerdown', (e) => {
    if (drag || !active() || (e.pointerType === 'mouse' && e.button !== 0)) return;
    const container = video.offsetParent ?? document.documentElement;
    drag = { id: e.pointerId, x: e.clientX, y: e.clientY, rect: video.getBoundingClientRect(), bounds: container.getBoundingClientRect(), dx: 0, dy: 0 };
    video.setPointerCapture(e.pointerId);
    video.classList.add('dragging');
    e.preventDefault(); // no text selection or native image drag on desktop
  });

  video.addEventListener('pointermove', (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    const { rect, bounds } = drag;
    // Follow the finger, but keep the whole picture on screen.
    drag.dx = clamp(e.clientX - drag.x, bounds.left - rect.left, bounds.right - rect.right);
    drag.dy = clamp(e.clientY - drag.y, bounds.top - rect.top, bounds.bottom - rect.bottom);
    video.style.translate = `${drag.dx}px ${drag.dy}px`;
  });

  const release = (e: PointerEvent) => {
    if (!drag || e.pointerId !== drag.id) return;
    const { rect, bounds, dx, dy } = drag;
    drag = null;
    const cx = rect.left + rect.width / 2 + dx;
    const cy = rect.top + rect.height / 2 + dy;
    const next: Corner = `${cy < bounds.top + bounds.height / 2 ? 'top' : 'bottom'}-${cx < bounds.left + bounds.width / 2 ? 'left' : 'right'}`;
    // FLIP: jump to the new corner with no transition, offset back to where it was
    // let go, then (with the transition back on) slide the offset to zero.
    const before = video.getBoundingClientRect();
    video.dataset.corner = next;
    video.style.translate = '';
    const after = video.getBoundingClientRect();
    video.style.translate = `${before.left - after.left}px ${before.top - after.top}px`;
    void video.getBoundingClientRect(); // commit the offset before the transition comes back
    video.classList.remove('dragging');
    video.style.translate = '';
  };
  video.addEventListener('pointerup', release);
  video.addEventListener('pointercancel', release);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
