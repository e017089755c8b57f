// Numbers, units and words as a bureau reads them: zh-CN digits, a unit on
// every quantity, and Chinese names for the API's codes.

const nf = new Map();
/** num formats v with at most digits decimals (zh-CN grouping); null is "—". */
export function num(v, digits = 2) {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  if (!nf.has(digits)) nf.set(digits, new Intl.NumberFormat('zh-CN', { maximumFractionDigits: digits }));
  return nf.get(digits).format(v);
}

/** wan formats money in 万元. */
export const wan = (v) => `${num(v, 2)} 万元`;

/** score formats a 0–100 gap score. */
export const score = (v) => (v === null || v === undefined ? '无数据' : num(v, 1));

/**
 * gapAfter formats a project's own 缺口后 (gap_after_est): 无预测 with the
 * reason when its village's gap was scored but the figure is unknown, as
 * after an edit of its 工程量, path or village (migration 0038), never a
 * number it no longer has.
 */
export function gapAfter(p) {
  if (p.gap_after_est !== null && p.gap_after_est !== undefined) return num(p.gap_after_est, 1);
  if (p.gap_before === null || p.gap_before === undefined) return score(null);
  return p.estimate_cleared ? `无预测（${p.estimate_cleared}后已清除）` : '无预测';
}

/** measure formats an indicator's value or threshold with its unit. */
export function measure(v, unit) {
  if (v === null || v === undefined) return '—';
  switch (unit) {
    case 'm':
      return v >= 1000 ? `${num(v / 1000, 2)} km` : `${num(v, 0)} m`;
    case '是/否':
      return v >= 1 ? '是' : '否';
    case '%':
      return `${num(v, 1)}%`;
    case '':
    case undefined:
      return num(v, 2);
    default:
      return `${num(v, 2)} ${unit}`;
  }
}

/** quantity formats a project's size, e.g. "0.73 km", "300 kW". */
export const quantity = (q, unit) => `${num(q, 2)} ${unit || ''}`.trim();

export const STATUS = {
  pass: { text: '达标', cls: 'pass', icon: '✓' },
  fail: { text: '未达标', cls: 'fail', icon: '✗' },
  no_data: { text: '无数据', cls: 'nodata', icon: '?' },
  not_applicable: { text: '不适用', cls: 'na', icon: '–' },
};

export const SOURCE = {
  sourced: { text: '有依据', title: '阈值出自政策文件或规范' },
  derived: { text: '推算', title: '阈值由有依据的数值推算' },
  estimated: { text: '估算', title: '阈值为估算值，尚无文件依据' },
  county: { text: '本县设定', title: '阈值由本县配置文件设定' },
};

export const RANKINGS = {
  need: '按缺口（需求）',
  poor: '按受益贫困人口',
  value: '按性价比（缺口×贫困人口÷投资）',
  cost: '按投资额',
  code: '按项目编号',
  year: '按年度',
};

/** el builds an element: el('td', {class: 'x'}, 'text', child…). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

/** RAMP is the gap colour scale of the map and the legend: 0 green … 100 red. */
export const RAMP = [[0, '#1a9850'], [25, '#a6d96a'], [50, '#fee08b'], [75, '#fc8d59'], [100, '#d73027']];
export const NO_DATA_COLOUR = '#bdbdbd';

/**
 * A gap shown as 数据不足 (no data, or resting mostly on missing data: the
 * tiles' "unknown" and the API's "unknown" say which) is drawn grey with
 * dark diagonal hatching, never in the ramp's colours: HATCH_LINE is the
 * hatching, HATCH_CSS the same look for swatches and cards.
 */
export const HATCH_LINE = '#616161';
export const HATCH_CSS = `repeating-linear-gradient(135deg, ${NO_DATA_COLOUR} 0 3px, ${HATCH_LINE} 3px 4.5px)`;

/** isUnknown tells whether dim (a dimension or 综合) is among the unknown gaps: a list or the tiles' comma-separated text. */
export function isUnknown(unknown, dim) {
  if (!unknown) return false;
  return (Array.isArray(unknown) ? unknown : String(unknown).split(',')).includes(dim);
}

/**
 * hatchImage paints size×size RGBA pixels of the 数据不足 pattern, for
 * map.addImage: grey with diagonal lines that join across tiles. With
 * round, only the inscribed disc is painted (for the village dots) and its
 * rim is drawn in the line colour.
 */
export function hatchImage(size, round = false) {
  const data = new Uint8Array(size * size * 4);
  const rgb = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  const [bg, fg] = [rgb(NO_DATA_COLOUR), rgb(HATCH_LINE)];
  const period = size / 2;
  const r = size / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 4;
      const d = Math.hypot(x + 0.5 - r, y + 0.5 - r);
      if (round && d > r) continue; // transparent outside the disc
      const line = (x + y) % period < period / 3 || (round && d > r - 1.5);
      data.set([...(line ? fg : bg), 255], i);
    }
  }
  return { width: size, height: size, data };
}

/**
 * gapStyle is the CSS of a chip showing gap score v: the map's colour with
 * black or white text, whichever is legible on it (WCAG AA), or, when
 * unknown (数据不足), the hatched grey with dark text.
 */
export function gapStyle(v, unknown = false) {
  if (unknown) return `background:${HATCH_CSS};color:#111`;
  const bg = gapColour(v);
  return `background:${bg};color:${inkOn(bg)}`;
}

/** gapColour is the colour of a gap score, as the map draws it. */
export function gapColour(v) {
  if (v === null || v === undefined) return NO_DATA_COLOUR;
  for (let i = 1; i < RAMP.length; i++) {
    if (v <= RAMP[i][0]) {
      const [a, ca] = RAMP[i - 1];
      const [b, cb] = RAMP[i];
      return mix(ca, cb, (v - a) / (b - a));
    }
  }
  return RAMP[RAMP.length - 1][1];
}

function mix(c1, c2, t) {
  const p = (c, i) => parseInt(c.slice(1 + 2 * i, 3 + 2 * i), 16);
  const h = (i) => Math.round(p(c1, i) + (p(c2, i) - p(c1, i)) * t).toString(16).padStart(2, '0');
  return `#${h(0)}${h(1)}${h(2)}`;
}

/**
 * activate makes an element that is not a button (a table row, a sort
 * header, a card) act as one: reached with Tab, run by a click, Enter or
 * Space. Clicks and keys on a link or button inside it are left to that one.
 */
export function activate(fn) {
  const own = (e) => e.target.closest('a, button, input, select, textarea, summary, [tabindex]') === e.currentTarget;
  return {
    tabindex: 0,
    onclick: (e) => { if (own(e)) fn(e); },
    onkeydown: (e) => {
      if ((e.key === 'Enter' || e.key === ' ') && e.target === e.currentTarget) {
        e.preventDefault(); // Space would scroll
        fn(e);
      }
    },
  };
}

// luminance is the WCAG 2.1 relative luminance of a #rrggbb colour.
function luminance(hex) {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
}

/** contrast is the WCAG 2.1 contrast ratio of two #rrggbb colours (1 to 21). */
export function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * inkOn is the text colour for a #rrggbb background: black or white,
 * whichever contrasts more; one of them always reaches 4.5:1 (WCAG AA).
 */
export function inkOn(bg) {
  return contrast(bg, '#000000') >= contrast(bg, '#ffffff') ? '#000000' : '#ffffff';
}
