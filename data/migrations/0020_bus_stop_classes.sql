-- 0020_bus_stop_classes: R4 looks up, for every village, the nearest stop
-- of each service class (with service; of unknown service) by KNN. A KNN
-- scan of the whole bus_stops index with the class as a filter walks every
-- stop when the class is rare or empty — 18 minutes for the province's
-- 29,534 villages, whose stops all list routes. A partial index per class
-- (the predicates as score_facts.sql writes them) ends the scan at once.
CREATE INDEX bus_stops_served_geom_idx ON bus_stops USING gist (geom)
    WHERE service OR (service IS NULL AND cardinality(routes) > 0);
CREATE INDEX bus_stops_unknown_service_geom_idx ON bus_stops USING gist (geom)
    WHERE service IS NULL AND cardinality(routes) = 0;
