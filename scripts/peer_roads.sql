-- peer_roads.sql: the dataset of shared/docs/tiles.md's pg_tileserv
-- measurement rebuilt in gapmap's schema (200k random-walk roads of 6
-- vertices, ≤ about 1 km, in lon 113.2–113.8, lat 29.2–29.7; five classes),
-- so that `gapmap bench-tiles --layerset roads --zooms 10-14 --clients 8
-- --max-conns 4 --max-tiles 800` compares with that table. Run it on an empty,
-- migrated database (gapmap migrate). Geometry is random, as there.
INSERT INTO sources (kind, name) VALUES ('generator', 'tiles.md peer dataset');
INSERT INTO counties (code, name, outline, source_id)
VALUES ('430682', '测试县', ST_Multi(ST_MakeEnvelope(113.2, 29.2, 113.8, 29.7, 4490)), currval('sources_id_seq'));
INSERT INTO townships (code, county_code, name, seat, outline, source_id)
VALUES ('430682101', '430682', '测试镇', ST_SetSRID(ST_MakePoint(113.5, 29.45), 4490),
        ST_Multi(ST_MakeEnvelope(113.2, 29.2, 113.8, 29.7, 4490)), currval('sources_id_seq'));
SELECT setseed(0.42);
INSERT INTO roads (name, grade, surface, width_m, geom, source_id)
SELECT '路' || i, (ARRAY['高速', '国道', '省道', '县道', '乡道'])[1 + (i % 5)], '水泥', 5,
       ST_SetSRID(ST_MakeLine(ARRAY[
         ST_MakePoint(x, y),
         ST_MakePoint(x + d1, y + e1),
         ST_MakePoint(x + d1 + d2, y + e1 + e2),
         ST_MakePoint(x + d1 + d2 + d3, y + e1 + e2 + e3),
         ST_MakePoint(x + d1 + d2 + d3 + d4, y + e1 + e2 + e3 + e4),
         ST_MakePoint(x + d1 + d2 + d3 + d4 + d5, y + e1 + e2 + e3 + e4 + e5)]), 4490), currval('sources_id_seq')
FROM (SELECT i, 113.2 + random() * 0.6 AS x, 29.2 + random() * 0.5 AS y,
             (random() - 0.5) * 0.004 AS d1, (random() - 0.5) * 0.004 AS d2, (random() - 0.5) * 0.004 AS d3,
             (random() - 0.5) * 0.004 AS d4, (random() - 0.5) * 0.004 AS d5,
             (random() - 0.5) * 0.004 AS e1, (random() - 0.5) * 0.004 AS e2, (random() - 0.5) * 0.004 AS e3,
             (random() - 0.5) * 0.004 AS e4, (random() - 0.5) * 0.004 AS e5
      FROM generate_series(1, 200000) i) r;
VACUUM ANALYZE roads;
