// 出图: the map as a printed sheet, the way a bureau hands a map to a
// meeting — title, the map at the extent on screen, legend, scale bar,
// north arrow, date, data sources and, for generated geometry, the
// synthetic-data note — on A4 or A3, landscape or portrait, as PNG or PDF.
//
// The map is rendered by MapLibre itself, a second map off screen with the
// same style at the sheet's resolution (pixelRatio), so that print is as
// sharp as the paper, not a screenshot scaled up. The sheet is composed on
// one canvas; the PNG is that canvas and the PDF holds the same pixels,
// losslessly, as one image on a page of the paper's size.
import { RAMP, NO_DATA_COLOUR, HATCH_LINE } from './format.js';
import { addHatchImages, LAYER_GROUPS } from './map.js';
import { distanceM } from './geodesic.js';
import { isBasemapSource } from './basemap.js';

/** PAPER sizes in millimetres, portrait (width, height). */
export const PAPER = { A4: [210, 297], A3: [297, 420] };
export const DPIS = [150, 300];

const MM = 25.4; // millimetres per inch
const CSS_DPI = 96; // MapLibre's CSS pixel

/**
 * sheetSize is the sheet's size in pixels at dpi, landscape unless
 * portrait: width and height in whole pixels.
 */
export function sheetSize(paper, landscape, dpi) {
  const [w, h] = PAPER[paper] || PAPER.A4;
  const [mw, mh] = landscape ? [h, w] : [w, h];
  return { width: Math.round((mw / MM) * dpi), height: Math.round((mh / MM) * dpi), mmWidth: mw, mmHeight: mh };
}

/**
 * niceLength is the scale bar's length in metres: 1, 2 or 5 × 10ⁿ, the
 * largest not longer than max metres.
 */
export function niceLength(max) {
  const p = 10 ** Math.floor(Math.log10(max));
  for (const f of [5, 2, 1]) if (f * p <= max) return f * p;
  return p;
}

/**
 * renderMap draws the map of the view bounds into a canvas of width×height
 * device pixels, with MapLibre off screen at the sheet's pixel ratio, and
 * returns the canvas and the metres per device pixel across its middle.
 */
async function renderMap(maplibregl, source, width, height, ratio) {
  const box = document.createElement('div');
  // Off screen but laid out: MapLibre sizes its canvas from the container.
  box.style.cssText = `position:fixed;left:-100000px;top:0;width:${width / ratio}px;height:${height / ratio}px`;
  document.body.append(box);
  const map = new maplibregl.Map({
    container: box, style: source.getStyle(), bounds: source.getBounds(), fitBoundsOptions: { padding: 0 },
    pixelRatio: ratio, interactive: false, attributionControl: false, fadeDuration: 0,
    preserveDrawingBuffer: true, maxZoom: 19,
  });
  addHatchImages(map);
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('地图渲染超时（60 秒）')), 60_000);
      map.once('idle', () => { clearTimeout(timer); resolve(); });
      map.on('error', (e) => { if (!isBasemapSource(e.sourceId)) { clearTimeout(timer); reject(new Error('地图渲染失败')); } });
    });
    const out = document.createElement('canvas');
    out.width = width;
    out.height = height;
    out.getContext('2d').drawImage(map.getCanvas(), 0, 0, width, height);
    const cssW = width / ratio;
    const y = height / ratio / 2;
    const a = map.unproject([0, y]);
    const b = map.unproject([cssW, y]);
    return { canvas: out, perPixel: distanceM([a.lng, a.lat], [b.lng, b.lat]) / width };
  } finally {
    map.remove();
    box.remove();
  }
}

/**
 * legendItems are the legend's rows for what the map shows: the gap ramp,
 * 数据不足, the village dots, then the keys of every layer group switched on.
 */
function legendItems(app, keys) {
  const items = [];
  for (const g of LAYER_GROUPS) {
    if (g.id === 'villages' || !keys[g.id]) continue;
    if (app.map.getLayoutProperty(g.layers[0], 'visibility') === 'none') continue;
    items.push({ heading: g.name });
    for (const [label, colour, kind] of keys[g.id]) items.push({ label, colour, kind: kind || 'dot' });
  }
  return items;
}

/**
 * compose draws the sheet: what it shows comes from opts (title, paper,
 * landscape, dpi) and the page's state (the map, the dimension, the layer
 * keys, the county's sources and whether its geometry is synthetic).
 */
export async function composeSheet(maplibregl, app, opts) {
  const { width, height, mmWidth } = sheetSize(opts.paper, opts.landscape, opts.dpi);
  const mm = width / mmWidth; // pixels per millimetre
  const margin = 10 * mm;
  const titleH = 16 * mm;
  const footH = 14 * mm;
  const legendW = (opts.landscape ? 62 : 58) * mm;
  // Portrait sheets put the legend under the map, landscape beside it.
  const frame = opts.landscape
    ? { x: margin, y: margin + titleH, w: width - 2 * margin - legendW - 4 * mm, h: height - 2 * margin - titleH - footH }
    : { x: margin, y: margin + titleH, w: width - 2 * margin, h: height - 2 * margin - titleH - footH - 70 * mm };
  const legend = opts.landscape
    ? { x: frame.x + frame.w + 4 * mm, y: frame.y, w: legendW, h: frame.h }
    : { x: margin, y: frame.y + frame.h + 4 * mm, w: width - 2 * margin, h: 66 * mm };
  const ratio = opts.dpi / CSS_DPI;
  const { canvas: mapCanvas, perPixel } = await renderMap(maplibregl, app.map, Math.round(frame.w), Math.round(frame.h), ratio);

  const sheet = document.createElement('canvas');
  sheet.width = width;
  sheet.height = height;
  const g = sheet.getContext('2d');
  const font = (sizeMM, bold = false) => `${bold ? 'bold ' : ''}${Math.round(sizeMM * mm)}px "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif`;
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, width, height);

  // Title.
  g.fillStyle = '#111111';
  g.textBaseline = 'middle';
  g.textAlign = 'center';
  g.font = font(7, true);
  g.fillText(opts.title, width / 2, margin + titleH / 2, width - 2 * margin);

  // The map in its frame.
  g.drawImage(mapCanvas, frame.x, frame.y);
  g.strokeStyle = '#111111';
  g.lineWidth = Math.max(1, 0.4 * mm);
  g.strokeRect(frame.x, frame.y, frame.w, frame.h);

  northArrow(g, frame.x + frame.w - 12 * mm, frame.y + 6 * mm, 10 * mm, font);
  scaleBar(g, frame.x + 6 * mm, frame.y + frame.h - 8 * mm, frame.w / 3, perPixel, mm, font);

  // Legend.
  let y = legend.y + 2 * mm;
  const x = legend.x + 2 * mm;
  const line = (text, size = 3.4, bold = false) => {
    g.font = font(size, bold);
    g.fillStyle = '#111111';
    g.textAlign = 'left';
    g.fillText(text, x, y + 2.5 * mm, legend.w - 4 * mm);
    y += (size + 2) * mm;
  };
  g.strokeRect(legend.x, legend.y, legend.w, legend.h);
  line('图  例', 4.5, true);
  line(`${opts.dimension === '综合' ? '综合缺口' : `${opts.dimension}缺口`}（0 达标 — 100 缺口最大）`, 3);
  const ramp = g.createLinearGradient(x, 0, x + legend.w - 8 * mm, 0);
  for (const [v, c] of RAMP) ramp.addColorStop(v / 100, c);
  g.fillStyle = ramp;
  g.fillRect(x, y, legend.w - 8 * mm, 5 * mm);
  y += 6 * mm;
  g.font = font(2.8);
  g.fillStyle = '#111111';
  for (const [v, align] of [[0, 'left'], [50, 'center'], [100, 'right']]) {
    g.textAlign = align;
    g.fillText(String(v), x + ((legend.w - 8 * mm) * v) / 100, y + 2 * mm);
  }
  y += 5 * mm;
  swatch(g, x, y, 5 * mm, 'hatch', NO_DATA_COLOUR, mm);
  const after = (text, size = 3) => {
    g.font = font(size);
    g.fillStyle = '#111111';
    g.textAlign = 'left';
    g.fillText(text, x + 7 * mm, y + 2.5 * mm, legend.w - 11 * mm);
    y += 6 * mm;
  };
  after('数据不足（不作达标或不达标）');
  swatch(g, x, y, 5 * mm, 'poor', '#ffffff', mm);
  after('大圆＝贫困村，小圆＝其他村');
  for (const it of legendItems(app, opts.keys)) {
    if (y > legend.y + legend.h - 6 * mm) break; // a full legend box keeps its frame
    if (it.heading) { line(it.heading, 3.2, true); continue; }
    swatch(g, x, y, 5 * mm, it.kind, it.colour, mm);
    after(it.label, 2.8);
  }

  // Footer: date, sources, the synthetic note.
  g.textAlign = 'left';
  g.fillStyle = '#333333';
  g.font = font(3);
  const fy = height - margin - footH + 3 * mm;
  g.fillText(`制图日期：${opts.date}　　制图：gapmap${opts.county ? `（${opts.county}）` : ''}　　坐标系：CGCS2000（EPSG:4490），Web 墨卡托投影显示`, margin, fy, width - 2 * margin);
  g.fillText(`数据来源：${opts.sources || '本县导入数据'}`, margin, fy + 4.5 * mm, width - 2 * margin);
  if (opts.synthetic) {
    g.fillStyle = '#b71c1c';
    g.fillText('注意：本图为演示数据，县界、村界、道路、管网、电网等几何由程序生成，不是真实地理。', margin, fy + 9 * mm, width - 2 * margin);
  }
  return sheet;
}

function swatch(g, x, y, s, kind, colour, mm) {
  g.save();
  if (kind === 'hatch') {
    g.fillStyle = NO_DATA_COLOUR;
    g.fillRect(x, y, s, s);
    g.beginPath();
    g.rect(x, y, s, s);
    g.clip();
    g.strokeStyle = HATCH_LINE;
    g.lineWidth = 0.4 * mm;
    for (let d = -s; d < s; d += 1.2 * mm) { g.beginPath(); g.moveTo(x + d, y + s); g.lineTo(x + d + s, y); g.stroke(); }
  } else if (/line/.test(kind)) {
    if (/project|proposed/.test(kind)) { g.fillStyle = '#212121'; g.fillRect(x, y + s / 2 - 0.9 * mm, s * 1.2, 1.8 * mm); }
    g.strokeStyle = colour;
    g.lineWidth = 1 * mm;
    if (/proposed/.test(kind)) g.setLineDash([1.2 * mm, 0.8 * mm]);
    g.beginPath(); g.moveTo(x, y + s / 2); g.lineTo(x + s * 1.2, y + s / 2); g.stroke();
  } else {
    g.fillStyle = colour;
    g.strokeStyle = '#222222';
    g.lineWidth = kind === 'poor' ? 0.4 * mm : 0.2 * mm;
    g.beginPath(); g.arc(x + s / 2, y + s / 2, s / 2.4, 0, 2 * Math.PI); g.fill(); g.stroke();
  }
  g.restore();
}

/** northArrow draws a north arrow of height h with its tip at (x, y). */
function northArrow(g, x, y, h, font) { // font(mm) is the sheet's font at a size in millimetres
  g.save();
  g.fillStyle = '#ffffff';
  g.globalAlpha = 0.85;
  g.fillRect(x - h * 0.45, y - h * 0.1, h * 0.9, h * 1.45);
  g.globalAlpha = 1;
  g.fillStyle = '#111111';
  g.beginPath(); g.moveTo(x, y + h * 0.25); g.lineTo(x + h * 0.3, y + h * 1.2); g.lineTo(x, y + h * 0.95); g.closePath(); g.fill();
  g.strokeStyle = '#111111';
  g.lineWidth = h * 0.04;
  g.beginPath(); g.moveTo(x, y + h * 0.25); g.lineTo(x - h * 0.3, y + h * 1.2); g.lineTo(x, y + h * 0.95); g.closePath(); g.stroke();
  g.font = font(3, true);
  g.textAlign = 'center';
  g.textBaseline = 'middle';
  g.fillText('北', x, y + h * 0.08);
  g.restore();
}

/** scaleBar draws a bar of at most max pixels for perPixel metres per pixel, its left end at (x, y). */
function scaleBar(g, x, y, max, perPixel, mm, font) {
  const m = niceLength(max * perPixel);
  const w = m / perPixel;
  const label = m >= 1000 ? `${m / 1000} 公里` : `${m} 米`;
  g.save();
  g.fillStyle = '#ffffff';
  g.globalAlpha = 0.85;
  g.fillRect(x - 2 * mm, y - 6 * mm, w + 22 * mm, 9 * mm);
  g.globalAlpha = 1;
  const h = 1.6 * mm;
  for (let i = 0; i < 4; i++) {
    g.fillStyle = i % 2 ? '#ffffff' : '#111111';
    g.fillRect(x + (i * w) / 4, y - h, w / 4, h);
  }
  g.strokeStyle = '#111111';
  g.lineWidth = Math.max(1, 0.25 * mm);
  g.strokeRect(x, y - h, w, h);
  g.fillStyle = '#111111';
  g.font = font(2.8);
  g.textBaseline = 'bottom';
  g.textAlign = 'center';
  g.fillText('0', x, y - h - 0.5 * mm);
  g.textAlign = 'left';
  g.fillText(label, x + w + 1.5 * mm, y);
  g.restore();
}

/**
 * pdfOf is a one-page PDF of paper size (mm) holding the sheet's pixels
 * over the whole page: rgb, width×height 8-bit RGB deflated (zlib), so
 * the PDF is lossless — the same pixels as the PNG.
 */
export function pdfOf(rgb, width, height, mmWidth, mmHeight) {
  const pt = (v) => ((v / MM) * 72).toFixed(2);
  const [pw, ph] = [pt(mmWidth), pt(mmHeight)];
  const enc = new TextEncoder();
  const content = `q ${pw} 0 0 ${ph} 0 0 cm /Im0 Do Q`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${pw} ${ph}] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>`,
    null, // the image, with binary data
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Producer (gapmap) >>',
  ];
  const parts = [enc.encode('%PDF-1.4\n')];
  let offset = parts[0].length;
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    let bytes;
    if (body === null) {
      const head = enc.encode(`${i + 1} 0 obj\n<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length ${rgb.length} >>\nstream\n`);
      const tail = enc.encode('\nendstream\nendobj\n');
      bytes = new Uint8Array(head.length + rgb.length + tail.length);
      bytes.set(head, 0);
      bytes.set(rgb, head.length);
      bytes.set(tail, head.length + rgb.length);
    } else {
      bytes = enc.encode(`${i + 1} 0 obj\n${body}\nendobj\n`);
    }
    parts.push(bytes);
    offset += bytes.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`, ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  parts.push(enc.encode(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${offset}\n%%EOF\n`));
  return new Blob(parts, { type: 'application/pdf' });
}

/** sheetBlob is the sheet as a PNG, or as a PDF of opts.paper holding the same pixels. */
export async function sheetBlob(sheet, opts) {
  if (opts.format !== 'pdf') return new Promise((resolve) => sheet.toBlob(resolve, 'image/png'));
  const rgba = sheet.getContext('2d').getImageData(0, 0, sheet.width, sheet.height).data;
  const rgb = new Uint8Array(sheet.width * sheet.height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  // CompressionStream's "deflate" is zlib (RFC 1950), which is what FlateDecode reads.
  const zipped = new Uint8Array(await new Response(new Blob([rgb]).stream().pipeThrough(new CompressionStream('deflate'))).arrayBuffer());
  const { mmWidth, mmHeight } = sheetSize(opts.paper, opts.landscape, opts.dpi);
  return pdfOf(zipped, sheet.width, sheet.height, mmWidth, mmHeight);
}

/**
 * PrintDialog is 出图's form: title, paper, orientation, resolution and
 * format; 生成 renders the sheet and downloads it.
 */
export class PrintDialog {
  /** app is the page's state; context() gives what the sheet shows beyond the form (keys, county, sources, synthetic). */
  constructor(app, context) {
    this.app = app;
    this.context = context;
    this.root = document.getElementById('print-dialog');
    this.form = this.root.querySelector('form');
    this.status = this.root.querySelector('#print-status');
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.generate(); });
    this.root.querySelector('#print-cancel').addEventListener('click', () => this.close());
    this.root.addEventListener('keydown', (e) => { if (e.key === 'Escape') this.close(); });
  }

  open() {
    const c = this.context();
    const f = this.form.elements;
    if (!f.title.value) f.title.value = `${c.county || ''}村级基础设施${this.app.dim === '综合' ? '综合' : this.app.dim}缺口图`;
    this.status.textContent = '';
    this.root.hidden = false;
    f.title.focus();
  }

  close() {
    this.root.hidden = true;
    document.getElementById('open-print').focus();
  }

  async generate() {
    const f = this.form.elements;
    const c = this.context();
    const opts = {
      title: f.title.value.trim() || '村级基础设施缺口图', paper: f.paper.value, landscape: f.orientation.value === 'landscape',
      dpi: Number(f.dpi.value), format: f.format.value, dimension: this.app.dim, date: new Date().toLocaleDateString('sv-SE'),
      ...c,
    };
    const button = this.form.querySelector('button[type=submit]');
    button.disabled = true;
    this.status.textContent = '正在生成…';
    try {
      const sheet = await composeSheet(this.app.maplibregl, this.app, opts);
      const blob = await sheetBlob(sheet, opts);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `${opts.title}-${opts.paper}${opts.landscape ? '横' : '竖'}.${opts.format}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
      this.status.textContent = `已生成 ${sheet.width}×${sheet.height} 像素（${opts.dpi} dpi）。`;
    } catch (err) {
      console.warn(err);
      // Our own failures are Chinese; a browser's (WebGL out of memory…) is said in Chinese here.
      this.status.textContent = `出图失败：${/[\u4e00-\u9fff]/.test(err.message) ? err.message : '浏览器无法渲染这么大的图，请改用较小的纸张或分辨率后重试'}`;
    } finally {
      button.disabled = false;
    }
  }
}
