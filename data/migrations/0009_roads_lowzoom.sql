-- 0009_roads_lowzoom: the roads a z7–z9 tile shows (高速 to 县道), merged
-- into one line per grade, surface and ref within each 0.25° cell and
-- simplified, prepared in advance. At province scale a z7 tile otherwise
-- encodes 100k+ segments (0.24 s and 167 KB for the roads layer alone).
-- lowzoom_state records the roads version it was built from; tiles read it
-- only while that version is current and the live roads otherwise.
CREATE TABLE roads_lowzoom (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    grade   text NOT NULL,
    surface text,
    ref     text NOT NULL DEFAULT '',
    width_m double precision,
    geom    geometry(MultiLineString, 4490) NOT NULL
);
CREATE INDEX roads_lowzoom_geom_gist ON roads_lowzoom USING gist (geom);

CREATE TABLE lowzoom_state (
    layer      text PRIMARY KEY,
    built_from bigint NOT NULL,
    built_at   timestamptz NOT NULL DEFAULT now()
);
