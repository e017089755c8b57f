// The page below 1024 px (field tablets and phones): the side bar becomes a
// bottom sheet over the map, collapsed to its handle, half or full height —
// a tap on the handle steps through them, a drag puts it where the finger
// stops (snapping to the nearest). The village and project panels open as a
// sheet of their own over the lower part of the map; the side sheet gets out
// of their way, and the map's padding keeps what they zoom to above them.
// The layout itself is style.css's (the max-width: 1023.98px block); this
// module only moves between its states. On a wide screen the panels lie over
// the map's right side: fitPadding keeps what the page zooms to clear of them.
import { el } from './format.js';

/** NARROW is the media query of the sheet layout; style.css uses the same width. */
export const NARROW = '(max-width: 1023.98px)';

const STATES = ['collapsed', 'half', 'full'];
const LABELS = { collapsed: '展开', half: '全屏', full: '收起' };
const TAP_PX = 6; // a pointer that moved less than this tapped the handle
const PANELS = ['panel', 'project-panel'];

/**
 * BottomSheet runs the side bar's sheet. app.sheet is it; its state is
 * #side's data-sheet (collapsed, half or full).
 */
export class BottomSheet {
  constructor(app) {
    this.app = app;
    this.side = document.getElementById('side');
    this.narrow = window.matchMedia(NARROW);
    this.handle = el('button', {
      type: 'button', id: 'sheet-handle', class: 'sheet-handle', 'aria-controls': 'side', 'aria-expanded': 'false',
      title: '点按展开或收起；也可上下拖动',
    },
    el('span', { class: 'sheet-grip', 'aria-hidden': 'true' }),
    el('span', { class: 'sheet-title' }, '图层与筛选 · 缺口最大的村'),
    this.stateText = el('span', { class: 'sheet-state muted' }));
    this.side.prepend(this.handle);
    this.set('collapsed');
    this.handle.addEventListener('click', () => {
      if (this.dragged) return; // the drag's pointerup already placed the sheet
      this.set(STATES[(STATES.indexOf(this.side.dataset.sheet) + 1) % STATES.length]);
    });
    this.handle.addEventListener('pointerdown', (e) => this.dragStart(e));
    this.side.addEventListener('keydown', (e) => { if (e.key === 'Escape' && this.narrow.matches) this.set('collapsed'); });
    // The keyboard reaching into a collapsed sheet opens it, so that what has the focus is seen.
    this.side.addEventListener('focusin', (e) => {
      if (this.narrow.matches && e.target !== this.handle && this.side.dataset.sheet === 'collapsed') this.set('half');
    });
    const measure = () => document.documentElement.style.setProperty('--top-h', `${document.getElementById('top').offsetHeight}px`);
    new ResizeObserver(measure).observe(document.getElementById('top'));
    measure();
    // A panel opening (panel.js, project.js set hidden) is watched rather
    // than announced, so that those modules need no hook of this layout.
    const watch = new MutationObserver(() => this.panelsChanged());
    for (const id of PANELS) watch.observe(document.getElementById(id), { attributes: true, attributeFilter: ['hidden'] });
    this.narrow.addEventListener('change', () => this.panelsChanged());
  }

  /** set puts the sheet in state (collapsed, half or full). */
  set(state) {
    this.side.dataset.sheet = state;
    this.side.style.height = '';
    this.handle.setAttribute('aria-expanded', String(state !== 'collapsed'));
    this.stateText.textContent = LABELS[state];
    if (state === 'collapsed') this.side.scrollTop = 0;
  }

  /** attachMap lets the sheet keep the map's padding clear of an open panel. */
  attachMap(map) {
    this.map = map;
    this.panelsChanged();
  }

  /**
   * panelsChanged follows a panel opening or closing on a narrow screen:
   * the side sheet collapses so the panel is in view, and the map's bottom
   * padding is the panel's height, so that a village the page zooms to
   * lands above it.
   */
  panelsChanged() {
    const open = PANELS.map((id) => document.getElementById(id)).find((p) => !p.hidden);
    const narrow = this.narrow.matches;
    if (open && narrow) this.set('collapsed');
    if (!this.map) return;
    // What the panel hides of the map: the map ends above the collapsed sheet, the panel at the screen's bottom.
    const bottom = open && narrow ? Math.max(0, Math.round(this.map.getContainer().getBoundingClientRect().bottom - open.getBoundingClientRect().top)) : 0;
    if (this.map.getPadding().bottom !== bottom) this.map.setPadding({ top: 0, left: 0, right: 0, bottom });
  }

  /**
   * fitPadding is the padding (px on every side) of a fitBounds that keeps
   * what it fits clear of an open panel. On a narrow screen the map's own
   * padding already does (panelsChanged); on a wide one the panel covers the
   * map's right side, which the map is not resized for, so the fit adds it.
   */
  fitPadding(px) {
    const open = PANELS.map((id) => document.getElementById(id)).find((p) => !p.hidden);
    if (!open || this.narrow.matches || !this.map) return px;
    const covered = Math.max(0, Math.round(this.map.getContainer().getBoundingClientRect().right - open.getBoundingClientRect().left));
    return { top: px, bottom: px, left: px, right: px + covered };
  }

  dragStart(e) {
    if (!this.narrow.matches || e.button > 0) return;
    const startY = e.clientY;
    const startH = this.side.offsetHeight;
    this.dragged = false;
    this.handle.setPointerCapture(e.pointerId);
    const move = (ev) => {
      const dy = startY - ev.clientY;
      if (!this.dragged && Math.abs(dy) < TAP_PX) return;
      this.dragged = true;
      this.side.classList.add('dragging');
      this.side.style.height = `${Math.max(this.heights().collapsed, Math.min(this.heights().full, startH + dy))}px`;
    };
    const up = () => {
      this.handle.removeEventListener('pointermove', move);
      this.handle.removeEventListener('pointerup', up);
      this.handle.removeEventListener('pointercancel', up);
      this.side.classList.remove('dragging');
      if (!this.dragged) return;
      const h = this.side.offsetHeight;
      const hs = this.heights();
      this.set(STATES.reduce((best, s) => (Math.abs(hs[s] - h) < Math.abs(hs[best] - h) ? s : best), 'collapsed'));
      // The click that follows this pointerup is the drag's end, not a tap.
      setTimeout(() => { this.dragged = false; }, 0);
    };
    this.handle.addEventListener('pointermove', move);
    this.handle.addEventListener('pointerup', up);
    this.handle.addEventListener('pointercancel', up);
  }

  /** heights are the sheet's height in pixels in each state, as style.css lays them out now. */
  heights() {
    const style = getComputedStyle(document.documentElement);
    const top = parseFloat(style.getPropertyValue('--top-h')) || 44;
    const collapsed = parseFloat(style.getPropertyValue('--sheet-collapsed')) || 52;
    return { collapsed, half: window.innerHeight / 2, full: window.innerHeight - top };
  }
}
