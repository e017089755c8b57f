-- Indexes on the columns scoring looks rows up by: children of a 行政村,
-- the transformers, PV and tourism sites of a village, the mains of a works,
-- and the 10 kV lines of a feeder. At province scale (100k+ villages, 200k
-- line segments) each lookup would otherwise scan its whole table.
CREATE INDEX villages_parent_id_idx ON villages (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX transformers_village_id_idx ON transformers (village_id);
CREATE INDEX pv_stations_village_id_idx ON pv_stations (village_id);
CREATE INDEX tourism_sites_village_id_idx ON tourism_sites (village_id);
CREATE INDEX water_mains_works_id_idx ON water_mains (works_id);
CREATE INDEX power_lines_feeder_idx ON power_lines (feeder) WHERE voltage_kv = 10;
