// Offline: the map read from a PMTiles archive (`gapmap tiles pack --format
// pmtiles`) instead of the gapmap server, for a field tablet or static
// hosting: index.html?pmtiles=<the archive's URL>. The archive is read by
// HTTP range requests through the pmtiles npm package's MapLibre protocol,
// so any web server or object store serves it. Only the map works then:
// every part of the page that needs the API says so instead of asking.
import { el } from './format.js';

/** OFFLINE_TITLE is the tooltip of every control that needs the API. */
export const OFFLINE_TITLE = '离线模式不可用：需要连接 gapmap 服务';

/**
 * packURL is the absolute URL of the archive the page was opened on
 * (?pmtiles=, relative to the page), or '' when the page reads the served
 * tiles.
 */
export function packURL(loc = window.location) {
  const p = new URLSearchParams(loc.search).get('pmtiles');
  return p ? new URL(p, loc.href).href : '';
}

/**
 * packTileJSON registers the pmtiles:// protocol with maplibregl and returns
 * the TileJSON of the archive at url: its tiles on that protocol, and the
 * bounds, zooms, vector_layers and attribution from the archive's header
 * and metadata. staticPrefix is where the page's files are (vendor/pmtiles.js).
 */
export async function packTileJSON(maplibregl, staticPrefix, url) {
  // pmtiles.js is the package's browser build (fflate inside): a classic
  // script that defines window.pmtiles.
  await new Promise((resolve, reject) => {
    const s = el('script', { src: `${staticPrefix}/vendor/pmtiles.js` });
    s.onload = resolve;
    s.onerror = () => reject(new Error('离线瓦片组件 pmtiles.js 没有打包进本页（请在源码目录运行 make web 后重新编译或导出）'));
    document.head.append(s);
  });
  const { pmtiles } = window;
  const protocol = new pmtiles.Protocol({ metadata: true });
  maplibregl.addProtocol('pmtiles', protocol.tile);
  const archive = new pmtiles.PMTiles(url);
  protocol.add(archive); // the map's requests share its header and directories
  const source = `pmtiles://${url}`;
  let tilejson;
  try {
    tilejson = await archive.getTileJson(source);
  } catch (err) {
    throw new Error(`无法读取离线瓦片包 ${url}：${err.message}（服务器须支持 HTTP Range 请求）`);
  }
  return tilejson;
}

/**
 * markOffline tells, in the page, that it shows an offline pack: a badge
 * naming the archive, and every control and list that needs the API
 * disabled with the reason. The map's own filters (只看贫困村, the
 * dimension, the layers) work on the tiles and stay.
 */
export function markOffline(doc, url, tilejson) {
  const $ = (id) => doc.getElementById(id);
  const file = decodeURIComponent(new URL(url).pathname.split('/').pop());
  $('county-name').textContent = tilejson.description || '';
  $('county-name').after(el('span', {
    id: 'offline-badge', class: 'badge warn',
    title: `地图读取离线瓦片包 ${url}；排名、查找、村详情、项目库、村级缺口表、逐年进展等需要连接 gapmap 服务`,
  }, `离线瓦片包：${file}`));
  for (const id of ['open-village-table', 'open-projects', 'open-progress', 'search', 'township']) {
    $(id).disabled = true;
    $(id).title = OFFLINE_TITLE;
  }
  $('guide').replaceChildren(el('li', {}, '离线模式：地图读取离线瓦片包，可切换缺口维度、图层和只看贫困村；鼠标停在村上显示其缺口。'),
    el('li', {}, '村详情、排名、查找、项目库等需要连接 gapmap 服务。'));
  $('ranking').replaceChildren(el('li', { class: 'muted' }, '离线模式不可用：排名需要连接 gapmap 服务。'));
  $('asof-box').append(el('p', { class: 'muted' }, '离线瓦片包为打包时的数据，不能查看其他日期。'));
}
