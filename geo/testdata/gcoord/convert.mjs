// convert.mjs reads a JSON array of [lon, lat] points on stdin and prints
// what gcoord makes of each one, read as WGS84, GCJ02 and BD09, so that
// go test ./geo can compare package geo with an independent implementation
// (chinacrs_test.go, TestAgainstGcoord). Run `npm ci` here first.
import { readFileSync } from 'node:fs';
import gcoord from 'gcoord';

const points = JSON.parse(readFileSync(0, 'utf8'));
// gcoord may reuse its input array, so each call gets a fresh copy.
const conv = (from, to) => points.map((p) => gcoord.transform([p[0], p[1]], from, to));
const { WGS84, GCJ02, BD09 } = gcoord;
const pkg = JSON.parse(readFileSync(new URL('./node_modules/gcoord/package.json', import.meta.url), 'utf8'));
process.stdout.write(JSON.stringify({
  gcoord_version: pkg.version,
  wgs84_to_gcj02: conv(WGS84, GCJ02),
  gcj02_to_wgs84: conv(GCJ02, WGS84),
  wgs84_to_bd09: conv(WGS84, BD09),
  bd09_to_wgs84: conv(BD09, WGS84),
}));
