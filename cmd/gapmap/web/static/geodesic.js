// Lengths on the ground, for the ruler (ruler.js) and 出图's scale bar
// (print.js): geodesics on the CGCS2000 ellipsoid, the datum the data and
// the map's longitude/latitude are in. Its axis and flattening are GRS80's;
// WGS84's flattening differs by 1.5e-11, far below a millimetre over a
// county, so PostGIS's geography (WGS84) gives the same metres.

const A = 6378137; // CGCS2000 semi-major axis, metres
const F = 1 / 298.257222101; // CGCS2000 flattening
const B = A * (1 - F);

/**
 * distanceM is the geodesic length in metres between [lon, lat] points a
 * and b (degrees), by Vincenty's inverse formula (1975), good to well under
 * a millimetre. Vincenty does not converge for nearly antipodal points;
 * there (never within one county) the great circle of the mean radius is
 * used, within 0.5 %.
 */
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const L = (b[0] - a[0]) * rad;
  const U1 = Math.atan((1 - F) * Math.tan(a[1] * rad));
  const U2 = Math.atan((1 - F) * Math.tan(b[1] * rad));
  const sinU1 = Math.sin(U1);
  const cosU1 = Math.cos(U1);
  const sinU2 = Math.sin(U2);
  const cosU2 = Math.cos(U2);
  let lambda = L;
  for (let i = 0; i < 200; i++) {
    const sinL = Math.sin(lambda);
    const cosL = Math.cos(lambda);
    const sinSigma = Math.hypot(cosU2 * sinL, cosU1 * sinU2 - sinU1 * cosU2 * cosL);
    if (sinSigma === 0) return 0; // the same point
    const cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosL;
    const sigma = Math.atan2(sinSigma, cosSigma);
    const sinAlpha = (cosU1 * cosU2 * sinL) / sinSigma;
    const cos2Alpha = 1 - sinAlpha * sinAlpha;
    // On the equator cos²α is 0 and the term vanishes.
    const cos2SigmaM = cos2Alpha === 0 ? 0 : cosSigma - (2 * sinU1 * sinU2) / cos2Alpha;
    const C = (F / 16) * cos2Alpha * (4 + F * (4 - 3 * cos2Alpha));
    const prev = lambda;
    lambda = L + (1 - C) * F * sinAlpha * (sigma + C * sinSigma * (cos2SigmaM + C * cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)));
    if (Math.abs(lambda - prev) < 1e-12) {
      const u2 = (cos2Alpha * (A * A - B * B)) / (B * B);
      const k1 = (Math.sqrt(1 + u2) - 1) / (Math.sqrt(1 + u2) + 1);
      const bigA = (1 + (k1 * k1) / 4) / (1 - k1);
      const bigB = k1 * (1 - (3 / 8) * k1 * k1);
      const deltaSigma = bigB * sinSigma * (cos2SigmaM + (bigB / 4) * (cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)
        - (bigB / 6) * cos2SigmaM * (-3 + 4 * sinSigma * sinSigma) * (-3 + 4 * cos2SigmaM * cos2SigmaM)));
      return B * bigA * (sigma - deltaSigma);
    }
  }
  return greatCircleM(a, b);
}

/** greatCircleM is the haversine length in metres on the sphere of the mean radius (IUGG R1). */
function greatCircleM(a, b) {
  const R = (2 * A + B) / 3;
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLon = (b[0] - a[0]) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** pathM is the geodesic length in metres of the path through [lon, lat] points, segment by segment. */
export function pathM(points) {
  let m = 0;
  for (let i = 1; i < points.length; i++) m += distanceM(points[i - 1], points[i]);
  return m;
}

/**
 * lengthText writes a length of m metres for people: whole metres below
 * 1 km ("850 m"), then kilometres with 3 decimals below 10 km ("1.234 km")
 * and 2 above ("12.35 km").
 */
export function lengthText(m) {
  if (m < 999.5) return `${Math.round(m)} m`;
  const km = m / 1000;
  return `${km.toFixed(km < 10 ? 3 : 2)} km`;
}
