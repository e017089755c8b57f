-- 0023_poverty_years: 建档立卡 by year (issue 20, item 4). The county's
-- register is updated every year (动态调整: 脱贫出、返贫进、新识别); one
-- number per village cannot show how a village's poor population changed,
-- nor let a scoring run as of 2017 read the 2017 figures.
--
-- One row per village and year: the stock at the year's end, and the year's
-- flows. Every figure is nullable: a county table without a 返贫 column
-- leaves it unknown, never 0. A row holds at least one figure.
CREATE TABLE village_poverty (
    village_id          bigint NOT NULL REFERENCES villages (id) ON DELETE CASCADE,
    -- 建档立卡 began in 2014; the bound is the villages' exit_year bound.
    year                smallint NOT NULL CONSTRAINT village_poverty_year_check CHECK (year BETWEEN 2014 AND 2030),
    poor_households     integer, -- 年末建档立卡贫困户 (stock at the year's end)
    poor_population     integer, -- 年末建档立卡贫困人口
    exited_households   integer, -- 脱贫 in the year
    exited_population   integer,
    returned_households integer, -- 返贫
    returned_population integer,
    new_households      integer, -- 新识别
    new_population      integer,
    source              text NOT NULL DEFAULT '', -- the file the row came from
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (village_id, year),
    CONSTRAINT village_poverty_nonnegative_check CHECK (
        poor_households >= 0 AND poor_population >= 0 AND exited_households >= 0 AND exited_population >= 0
        AND returned_households >= 0 AND returned_population >= 0 AND new_households >= 0 AND new_population >= 0),
    -- A household has at least one member.
    CONSTRAINT village_poverty_households_check CHECK (
        poor_households <= poor_population AND exited_households <= exited_population
        AND returned_households <= returned_population AND new_households <= new_population),
    CONSTRAINT village_poverty_some_check CHECK (num_nonnulls(poor_households, poor_population, exited_households,
        exited_population, returned_households, returned_population, new_households, new_population) > 0)
);
CREATE INDEX village_poverty_year_idx ON village_poverty (year);

-- village_poverty_violations lists the rows whose 脱贫 exceeds what the
-- register could have lifted out that year: everyone who exits in year Y
-- was in the register during Y — in the stock at the end of Y-1, newly
-- identified in Y, or returned in Y. So
--
--     exited(Y) <= stock(Y-1) + new(Y) + returned(Y)
--
-- for households and for people. The stock identity itself,
-- stock(Y) = stock(Y-1) - exited + new + returned, is not enforced: a real
-- register also changes by 自然增减 (births, deaths, marriages), 分户 and
-- 清退 of wrongly identified households, which the county's table does not
-- carry; the village's years show that remainder instead of hiding it.
-- A term unknown (NULL), or no row for Y-1, leaves the row unchecked.
CREATE VIEW village_poverty_violations AS
SELECT p.village_id, p.year, f.field, f.exited, f.prev_stock, f.new, f.returned
FROM village_poverty p
JOIN village_poverty q ON q.village_id = p.village_id AND q.year = p.year - 1
CROSS JOIN LATERAL (VALUES
    ('households', p.exited_households, q.poor_households, p.new_households, p.returned_households),
    ('population', p.exited_population, q.poor_population, p.new_population, p.returned_population)
) f (field, exited, prev_stock, new, returned)
WHERE f.exited > f.prev_stock + f.new + f.returned;

-- The identity across years is a second wall behind the importer's own
-- check (which names the row): a deferred constraint trigger refuses any
-- commit that leaves a violation in a village it touched, whoever writes.
CREATE FUNCTION village_poverty_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v record;
BEGIN
    SELECT * INTO v FROM village_poverty_violations
    WHERE village_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.village_id ELSE NEW.village_id END
    ORDER BY year, field LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '建档立卡：村 % 的 % 年脱贫%（%）超过上年末存量 % + 新识别 % + 返贫 %',
            (SELECT code FROM villages WHERE id = v.village_id), v.year,
            CASE v.field WHEN 'households' THEN '户数' ELSE '人数' END, v.exited, v.prev_stock, v.new, v.returned
            USING ERRCODE = '23514', CONSTRAINT = 'village_poverty_exited_check';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER village_poverty_exited_check AFTER INSERT OR UPDATE OR DELETE ON village_poverty
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION village_poverty_check();

-- A change of a village's yearly figures re-scores that village (P1, P2
-- and the 贫困发生率 read them): one layer_changes row per village, found
-- by the stale rule "the village row itself" (village_id). No geometry, so
-- no distance rule and no road graph rebuild sees it.
CREATE FUNCTION record_poverty_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO layer_changes (layer, row_id, village_id)
        SELECT DISTINCT 'village_poverty', village_id, village_id FROM old_rows;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO layer_changes (layer, row_id, village_id)
        SELECT DISTINCT 'village_poverty', village_id, village_id FROM new_rows;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER village_poverty_changes_insert AFTER INSERT ON village_poverty
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION record_poverty_changes();
CREATE TRIGGER village_poverty_changes_update AFTER UPDATE ON village_poverty
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION record_poverty_changes();
CREATE TRIGGER village_poverty_changes_delete AFTER DELETE ON village_poverty
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION record_poverty_changes();

-- A scoring run records the version it saw, like every layer's.
INSERT INTO layer_versions (layer) VALUES ('village_poverty');
CREATE TRIGGER village_poverty_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON village_poverty
    FOR EACH STATEMENT EXECUTE FUNCTION bump_layer_version();
