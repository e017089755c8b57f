-- 0001_init: every layer a county bureau holds, stored in EPSG:4490 (CGCS2000
-- longitude/latitude). CGCS2000 is the legal standard in China; at the
-- precision of county data it is numerically the same as WGS84 (EPSG:4326).
--
-- Conventions, relied on by data/errors.go to name the field in user errors:
--   * every CHECK constraint is named <table>_<column>_check and guards that
--     column (cross-column rules are named after the column they constrain);
--   * every row has id, source_id (provenance), created_at and updated_at;
--   * every geometry column has a GiST index and a validity check.

CREATE EXTENSION IF NOT EXISTS postgis WITH SCHEMA public;
CREATE EXTENSION IF NOT EXISTS pgrouting WITH SCHEMA public;

-- sources records which import, generator or hand edit wrote a row.
CREATE TABLE sources (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text NOT NULL CONSTRAINT sources_kind_check CHECK (kind IN ('generator', 'import', 'manual')),
    name       text NOT NULL CONSTRAINT sources_name_check CHECK (btrim(name) <> ''),
    version    text NOT NULL DEFAULT '',
    detail     jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE TABLE counties (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code       text NOT NULL UNIQUE CONSTRAINT counties_code_check CHECK (code ~ '^[0-9]{6}$'),
    name       text NOT NULL CONSTRAINT counties_name_check CHECK (btrim(name) <> ''),
    outline    geometry(MultiPolygon, 4490) NOT NULL CONSTRAINT counties_outline_check CHECK (ST_IsValid(outline)),
    source_id  bigint NOT NULL REFERENCES sources (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE townships (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE CONSTRAINT townships_code_check CHECK (code ~ '^[0-9]{9}$' AND left(code, 6) = county_code),
    county_code text NOT NULL REFERENCES counties (code) ON UPDATE CASCADE,
    name        text NOT NULL CONSTRAINT townships_name_check CHECK (btrim(name) <> ''),
    seat        geometry(Point, 4490) NOT NULL,          -- 乡镇驻地
    outline     geometry(MultiPolygon, 4490) CONSTRAINT townships_outline_check CHECK (ST_IsValid(outline)),
    source_id   bigint NOT NULL REFERENCES sources (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- villages holds 行政村 and 社区 keyed by their 12-digit 统计用区划代码 and the
-- code's year, and 自然村/村民组, which have no statistical code and hang off
-- their parent 行政村.
CREATE TABLE villages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text CONSTRAINT villages_code_check CHECK (
                        (code IS NULL AND kind IN ('自然村', '村民组'))
                        OR (code ~ '^[0-9]{12}$' AND left(code, 9) = township_code)),
    code_year       smallint NOT NULL DEFAULT 2023 CONSTRAINT villages_code_year_check CHECK (code_year BETWEEN 2009 AND 2100),
    name            text NOT NULL CONSTRAINT villages_name_check CHECK (btrim(name) <> ''),
    township_code   text NOT NULL REFERENCES townships (code) ON UPDATE CASCADE,
    kind            text NOT NULL CONSTRAINT villages_kind_check CHECK (kind IN ('行政村', '社区', '自然村', '村民组')),
    parent_id       bigint REFERENCES villages (id) ON DELETE CASCADE
                        CONSTRAINT villages_parent_id_check CHECK ((parent_id IS NOT NULL) = (kind IN ('自然村', '村民组'))),
    office          geometry(Point, 4490) NOT NULL,      -- 村委会, or the settlement point of a 自然村
    outline         geometry(MultiPolygon, 4490) CONSTRAINT villages_outline_check CHECK (ST_IsValid(outline)),
    households      integer CONSTRAINT villages_households_check CHECK (households >= 0),
    population      integer CONSTRAINT villages_population_check CHECK (population >= 0),
    is_poor_village boolean NOT NULL DEFAULT false
                        CONSTRAINT villages_is_poor_village_check CHECK (NOT is_poor_village OR kind IN ('行政村', '社区')),
    poor_households integer NOT NULL DEFAULT 0
                        CONSTRAINT villages_poor_households_check CHECK (poor_households >= 0 AND (households IS NULL OR poor_households <= households)),
    poor_population integer NOT NULL DEFAULT 0
                        CONSTRAINT villages_poor_population_check CHECK (poor_population >= 0 AND (population IS NULL OR poor_population <= population)),
    exit_year       smallint CONSTRAINT villages_exit_year_check CHECK (exit_year BETWEEN 2014 AND 2030),
    source_id       bigint NOT NULL REFERENCES sources (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (code, code_year),
    UNIQUE (parent_id, name)
);
CREATE INDEX villages_township_code_idx ON villages (township_code);
CREATE INDEX villages_poor_idx ON villages (township_code) WHERE is_poor_village;

CREATE TABLE roads (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    ref        text NOT NULL DEFAULT '',                 -- 路线编号, e.g. G107, X021
    grade      text NOT NULL CONSTRAINT roads_grade_check CHECK (grade IN ('高速', '国道', '省道', '县道', '乡道', '村道', '通组路', '专用')),
    surface    text CONSTRAINT roads_surface_check CHECK (surface IN ('沥青', '水泥', '砂石', '土')),  -- NULL: unknown
    width_m    double precision CONSTRAINT roads_width_m_check CHECK (width_m > 0 AND width_m <= 60),
    year       smallint CONSTRAINT roads_year_check CHECK (year BETWEEN 1900 AND 2100),
    geom       geometry(LineString, 4490) NOT NULL CONSTRAINT roads_geom_check CHECK (ST_IsValid(geom) AND ST_NPoints(geom) >= 2 AND ST_Length(geom) > 0),
    source_id  bigint NOT NULL REFERENCES sources (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- bridges: condition_class is the 公路桥梁技术状况 class 1–5; classes 4 and 5 are 危桥.
CREATE TABLE bridges (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL DEFAULT '',
    road_ref        text NOT NULL DEFAULT '',
    length_m        double precision CONSTRAINT bridges_length_m_check CHECK (length_m > 0 AND length_m <= 20000),
    condition_class smallint CONSTRAINT bridges_condition_class_check CHECK (condition_class BETWEEN 1 AND 5),
    is_dangerous    boolean NOT NULL DEFAULT false
                        CONSTRAINT bridges_is_dangerous_check CHECK (condition_class IS NULL OR is_dangerous = (condition_class >= 4)),
    geom            geometry(Point, 4490) NOT NULL,
    source_id       bigint NOT NULL REFERENCES sources (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE bus_stops (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    routes     text[] NOT NULL DEFAULT '{}',             -- routes that serve the stop
    geom       geometry(Point, 4490) NOT NULL,
    source_id  bigint NOT NULL REFERENCES sources (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reservoirs (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name               text NOT NULL CONSTRAINT reservoirs_name_check CHECK (btrim(name) <> ''),
    scale              text NOT NULL CONSTRAINT reservoirs_scale_check CHECK (scale IN ('大(1)型', '大(2)型', '中型', '小(1)型', '小(2)型')),
    capacity_wan_m3    double precision CONSTRAINT reservoirs_capacity_wan_m3_check CHECK (capacity_wan_m3 > 0),  -- 万m³
    is_drinking_source boolean NOT NULL DEFAULT false,
    safety_status      text CONSTRAINT reservoirs_safety_status_check CHECK (safety_status IN ('病险', '已除险加固')),
    safety_year        smallint CONSTRAINT reservoirs_safety_year_check CHECK (safety_year BETWEEN 1950 AND 2100),
    -- Water surface where known; many registers have only the dam point.
    geom               geometry(Geometry, 4490) NOT NULL
                           CONSTRAINT reservoirs_geom_check CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON') AND ST_IsValid(geom)),
    source_id          bigint NOT NULL REFERENCES sources (id),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE water_works (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text NOT NULL CONSTRAINT water_works_name_check CHECK (btrim(name) <> ''),
    kind              text NOT NULL CONSTRAINT water_works_kind_check CHECK (kind IN ('城镇水厂', '乡镇水厂', '单村供水', '分散供水')),
    design_m3_per_day double precision CONSTRAINT water_works_design_m3_per_day_check CHECK (design_m3_per_day > 0),
    population_served integer CONSTRAINT water_works_population_served_check CHECK (population_served >= 0),
    last_test_date    date CONSTRAINT water_works_last_test_date_check CHECK (last_test_date BETWEEN DATE '1990-01-01' AND DATE '2100-01-01'),
    last_test_passed  boolean CONSTRAINT water_works_last_test_passed_check CHECK ((last_test_passed IS NULL) = (last_test_date IS NULL)),
    guarantee_pct     double precision CONSTRAINT water_works_guarantee_pct_check CHECK (guarantee_pct BETWEEN 0 AND 100),  -- 供水保证率
    geom              geometry(Point, 4490) NOT NULL,
    source_id         bigint NOT NULL REFERENCES sources (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE water_mains (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    works_id    bigint REFERENCES water_works (id) ON DELETE SET NULL,
    diameter_mm integer CONSTRAINT water_mains_diameter_mm_check CHECK (diameter_mm > 0 AND diameter_mm <= 3000),
    geom        geometry(LineString, 4490) NOT NULL CONSTRAINT water_mains_geom_check CHECK (ST_IsValid(geom) AND ST_Length(geom) > 0),
    source_id   bigint NOT NULL REFERENCES sources (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE substations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CONSTRAINT substations_name_check CHECK (btrim(name) <> ''),
    voltage_kv   double precision NOT NULL CONSTRAINT substations_voltage_kv_check CHECK (voltage_kv IN (35, 110, 220, 500)),
    secondary_kv double precision CONSTRAINT substations_secondary_kv_check CHECK (secondary_kv IN (10, 35, 110, 220) AND secondary_kv < voltage_kv),
    capacity_mva double precision CONSTRAINT substations_capacity_mva_check CHECK (capacity_mva > 0),
    geom         geometry(Point, 4490) NOT NULL,
    source_id    bigint NOT NULL REFERENCES sources (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE power_lines (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    voltage_kv double precision NOT NULL CONSTRAINT power_lines_voltage_kv_check CHECK (voltage_kv IN (0.22, 0.4, 10, 35, 110, 220, 500)),
    phases     smallint NOT NULL DEFAULT 3 CONSTRAINT power_lines_phases_check CHECK (phases IN (1, 3) AND (voltage_kv <> 0.22 OR phases = 1)),
    feeder     text NOT NULL DEFAULT '',                 -- 10 kV feeder (馈线) the line belongs to
    geom       geometry(LineString, 4490) NOT NULL CONSTRAINT power_lines_geom_check CHECK (ST_IsValid(geom) AND ST_Length(geom) > 0),
    source_id  bigint NOT NULL REFERENCES sources (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- transformers are distribution transformers (配变); each feeds one 台区.
CREATE TABLE transformers (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name              text NOT NULL DEFAULT '',
    kva               double precision NOT NULL CONSTRAINT transformers_kva_check CHECK (kva > 0 AND kva <= 2500),
    primary_kv        double precision NOT NULL DEFAULT 10 CONSTRAINT transformers_primary_kv_check CHECK (primary_kv IN (10, 35)),
    secondary_kv      double precision NOT NULL DEFAULT 0.4 CONSTRAINT transformers_secondary_kv_check CHECK (secondary_kv IN (0.22, 0.4)),
    phases            smallint NOT NULL DEFAULT 3 CONSTRAINT transformers_phases_check CHECK (phases IN (1, 3) AND (secondary_kv <> 0.22 OR phases = 1)),
    households_served integer CONSTRAINT transformers_households_served_check CHECK (households_served >= 0),
    feeder            text NOT NULL DEFAULT '',
    village_id        bigint REFERENCES villages (id) ON DELETE SET NULL,
    geom              geometry(Point, 4490) NOT NULL,
    source_id         bigint NOT NULL REFERENCES sources (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pv_stations (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL DEFAULT '',
    kw             double precision NOT NULL CONSTRAINT pv_stations_kw_check CHECK (kw > 0 AND kw <= 1000000),
    type           text NOT NULL CONSTRAINT pv_stations_type_check CHECK (type IN ('村级', '户用', '集中式')),
    grid_connected boolean NOT NULL DEFAULT false,
    village_id     bigint REFERENCES villages (id) ON DELETE SET NULL,
    year           smallint CONSTRAINT pv_stations_year_check CHECK (year BETWEEN 2000 AND 2100),
    geom           geometry(Point, 4490) NOT NULL,
    source_id      bigint NOT NULL REFERENCES sources (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tourism_sites (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CONSTRAINT tourism_sites_name_check CHECK (btrim(name) <> ''),
    a_level    smallint NOT NULL DEFAULT 0 CONSTRAINT tourism_sites_a_level_check CHECK (a_level BETWEEN 0 AND 5),  -- 0 = not rated
    kind       text NOT NULL DEFAULT '',
    village_id bigint REFERENCES villages (id) ON DELETE SET NULL,
    geom       geometry(Point, 4490) NOT NULL,
    source_id  bigint NOT NULL REFERENCES sources (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- projects is the 项目库 (国开办发〔2018〕10号 columns); the 项目库 work fills
-- and extends it. Money is in 万元.
CREATE TABLE projects (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                text UNIQUE,                                -- 项目编号
    year                smallint CONSTRAINT projects_year_check CHECK (year BETWEEN 2000 AND 2100),
    name                text NOT NULL CONSTRAINT projects_name_check CHECK (btrim(name) <> ''),
    category            text NOT NULL CONSTRAINT projects_category_check CHECK (category IN (
                            '基础设施-道路', '基础设施-饮水', '基础设施-电力', '产业发展-光伏',
                            '产业发展', '就业扶贫', '基础设施', '生活条件改善', '教育', '健康', '项目管理费')),
    subtype             text NOT NULL DEFAULT '',
    nature              text NOT NULL DEFAULT '新建' CONSTRAINT projects_nature_check CHECK (nature IN ('新建', '改建', '扩建', '续建', '维修')),
    township_code       text REFERENCES townships (code) ON UPDATE CASCADE,
    village_id          bigint REFERENCES villages (id) ON DELETE SET NULL,
    content             text NOT NULL DEFAULT '',                   -- 建设内容及规模
    quantity            double precision CONSTRAINT projects_quantity_check CHECK (quantity >= 0),
    unit                text NOT NULL DEFAULT '',
    unit_price_wan      double precision CONSTRAINT projects_unit_price_wan_check CHECK (unit_price_wan >= 0),
    cost_wan            numeric(14, 2) NOT NULL DEFAULT 0 CONSTRAINT projects_cost_wan_check CHECK (cost_wan >= 0),
    funding             jsonb NOT NULL DEFAULT '[]',                -- [{"source": "...", "amount_wan": n}]
    beneficiary_households      integer CONSTRAINT projects_beneficiary_households_check CHECK (beneficiary_households >= 0),
    beneficiary_population      integer CONSTRAINT projects_beneficiary_population_check CHECK (beneficiary_population >= 0),
    beneficiary_poor_households integer CONSTRAINT projects_beneficiary_poor_households_check CHECK (beneficiary_poor_households >= 0),
    beneficiary_poor_population integer CONSTRAINT projects_beneficiary_poor_population_check CHECK (beneficiary_poor_population >= 0),
    responsible_unit    text NOT NULL DEFAULT '',
    status              text NOT NULL DEFAULT '需求摸底' CONSTRAINT projects_status_check CHECK (status IN (
                            '需求摸底', '村级申报', '乡镇审核', '县级论证', '县级审定', '已入库',
                            '纳入年度计划', '实施中', '已完工', '已验收', '绩效评价', '已出库')),
    planned_start       date,
    planned_end         date CONSTRAINT projects_planned_end_check CHECK (planned_end >= planned_start),
    gap_dimension       text CONSTRAINT projects_gap_dimension_check CHECK (gap_dimension IN ('通路', '饮水', '农网', '光伏')),
    gap_before          double precision CONSTRAINT projects_gap_before_check CHECK (gap_before BETWEEN 0 AND 100),
    gap_after_est       double precision CONSTRAINT projects_gap_after_est_check CHECK (gap_after_est BETWEEN 0 AND 100),
    source_indicator_ids text[] NOT NULL DEFAULT '{}',
    geom                geometry(Geometry, 4490) CONSTRAINT projects_geom_check CHECK (ST_IsValid(geom)),
    source_id           bigint NOT NULL REFERENCES sources (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- Shared per-table plumbing, done in one loop so that no table is forgotten:
-- a GiST index on every geometry column, an index on source_id (provenance
-- deletes), and the updated_at trigger.
DO $$
DECLARE
    g record;
    t text;
BEGIN
    FOR g IN
        SELECT c.relname AS tbl, a.attname AS col
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relnamespace = current_schema()::regnamespace
          AND c.relkind = 'r'
          AND a.atttypid = 'geometry'::regtype
          AND NOT a.attisdropped
    LOOP
        EXECUTE format('CREATE INDEX %I ON %I USING gist (%I)', g.tbl || '_' || g.col || '_gist', g.tbl, g.col);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['counties', 'townships', 'villages', 'roads', 'bridges', 'bus_stops',
        'reservoirs', 'water_works', 'water_mains', 'substations', 'power_lines', 'transformers',
        'pv_stations', 'tourism_sites', 'projects']
    LOOP
        EXECUTE format('CREATE INDEX %I ON %I (source_id)', t || '_source_id_idx', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION touch_updated_at()',
                       t || '_touch', t);
    END LOOP;
END $$;
