// Placing the 未定位 villages by hand: the side bar lists the villages the
// API marks 未定位, and 在地图上定位 makes the next map click the 村委会's
// location (PUT /api/v1/villages/{code}/location, location_source 'map').
// Only a user who could place a village sees the button (roles.js
// mayLocate); the server decides, and its 403 is shown if it refuses.
import { get, put } from './api.js';
import { el } from './format.js';
import { mayLocate } from './roles.js';

const $ = (id) => document.getElementById(id);

/**
 * Locator keeps the 未定位 list and the placing mode. app is the page's
 * state; onLocated(feature) runs after a village is placed, with the
 * village as the API now returns it.
 */
export class Locator {
  constructor(app, { onLocated, notice, fail }) {
    this.app = app;
    this.onLocated = onLocated;
    this.notice = notice;
    this.fail = fail;
    this.placing = null; // the village being placed: its GeoJSON feature
    document.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape' || !this.placing) return;
      e.preventDefault(); // this Esc is spent: no panel closes with it (app.js)
      this.cancel(true);
    });
  }

  /** render lists the villages without a location; the section hides when there are none. */
  render() {
    const list = this.app.villages.filter((f) => !f.geometry);
    $('unlocated-box').hidden = list.length === 0;
    $('unlocated-title').textContent = `未定位的村（${list.length}）`;
    const user = this.app.session && this.app.session.user;
    $('unlocated').replaceChildren(...list.map((f) => {
      const p = f.properties;
      return el('li', { dataset: { code: p.code, placing: String(this.placing === f) } },
        el('span', {}, p.name, ' ', el('span', { class: 'muted' }, p.township_name)),
        mayLocate(user, p)
          ? el('button', { type: 'button', disabled: !this.app.map, title: this.app.map ? null : '地图未加载，无法定位', onclick: () => this.start(f) }, '在地图上定位')
          : el('span', { class: 'muted', title: '定位村委会须有本乡镇或本部门的编辑权限' }, '无定位权限'));
    }));
  }

  /** start waits for a map click for village f; Esc cancels. */
  start(f) {
    this.placing = f;
    $('map').classList.add('placing');
    this.render();
    this.notice(`请在地图上点击“${f.properties.name}”村委会的位置（按 Esc 取消）。`);
  }

  cancel(said) {
    this.placing = null;
    $('map').classList.remove('placing');
    this.render();
    if (said) this.notice('已取消定位。');
  }

  /**
   * click handles a map click while placing and says whether it took it.
   * The map's longitude/latitude are the data's CGCS2000 (≈ WGS84): a
   * GCJ-02 basemap is warped onto that grid (basemap.js), never the
   * reverse, so the click needs no datum transform.
   */
  click(lngLat) {
    const f = this.placing;
    if (!f) return false;
    this.cancel(false);
    const { lng, lat } = lngLat.wrap();
    this.place(f, lng, lat).catch(this.fail);
    return true;
  }

  async place(f, lon, lat) {
    const { code, name } = f.properties;
    const located = await put(`/api/v1/villages/${encodeURIComponent(code)}/location`, { lon, lat });
    this.onLocated(located);
    this.render();
    this.notice(`已定位“${name}”（经度 ${lon.toFixed(5)}，纬度 ${lat.toFixed(5)}）。`);
    await refreshTiles(this.app);
  }
}

/**
 * refreshTiles reloads the map's vector tiles once the server's data
 * version moves: TileJSON's tile URL carries it (?v=), and the server
 * learns of a change through a database notification, so right after a
 * write the old version may still be served for a moment.
 */
export async function refreshTiles(app) {
  if (!app.map) return;
  for (let i = 0; i < 40; i++) {
    const tj = await get('/tiles/all.json');
    if (tj.tiles[0] !== app.tilesURL) {
      app.tilesURL = tj.tiles[0];
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  app.map.getSource('gapmap').setTiles([app.tilesURL]);
}
