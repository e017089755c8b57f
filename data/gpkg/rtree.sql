-- The triggers of the gpkg_rtree_index extension (GeoPackage 1.3, annex
-- F.3), which keep the R-tree in step when another program (GDAL, QGIS)
-- edits the layer. The Writer bulk-loads the index itself (rtree.go) and
-- creates these at Close, so they never fire while it loads; ST_IsEmpty
-- and ST_MinX… are the functions GeoPackage readers provide. Inside the
-- double quotes <t>, <c>, <i> and <r> stand for the table, geometry
-- column, primary key and R-tree table names, with any double quote
-- doubled; the trigger names are "<r>_insert", "<r>_update1" and so on.
CREATE TRIGGER "<r>_insert" AFTER INSERT ON "<t>"
  WHEN (new."<c>" NOT NULL AND NOT ST_IsEmpty(NEW."<c>"))
BEGIN
  INSERT OR REPLACE INTO "<r>" VALUES (
    NEW."<i>",
    ST_MinX(NEW."<c>"), ST_MaxX(NEW."<c>"),
    ST_MinY(NEW."<c>"), ST_MaxY(NEW."<c>")
  );
END;

CREATE TRIGGER "<r>_update1" AFTER UPDATE OF "<c>" ON "<t>"
  WHEN OLD."<i>" = NEW."<i>" AND
       (NEW."<c>" NOTNULL AND NOT ST_IsEmpty(NEW."<c>"))
BEGIN
  INSERT OR REPLACE INTO "<r>" VALUES (
    NEW."<i>",
    ST_MinX(NEW."<c>"), ST_MaxX(NEW."<c>"),
    ST_MinY(NEW."<c>"), ST_MaxY(NEW."<c>")
  );
END;

CREATE TRIGGER "<r>_update2" AFTER UPDATE OF "<c>" ON "<t>"
  WHEN OLD."<i>" = NEW."<i>" AND
       (NEW."<c>" ISNULL OR ST_IsEmpty(NEW."<c>"))
BEGIN
  DELETE FROM "<r>" WHERE id = OLD."<i>";
END;

CREATE TRIGGER "<r>_update3" AFTER UPDATE ON "<t>"
  WHEN OLD."<i>" != NEW."<i>" AND
       (NEW."<c>" NOTNULL AND NOT ST_IsEmpty(NEW."<c>"))
BEGIN
  DELETE FROM "<r>" WHERE id = OLD."<i>";
  INSERT OR REPLACE INTO "<r>" VALUES (
    NEW."<i>",
    ST_MinX(NEW."<c>"), ST_MaxX(NEW."<c>"),
    ST_MinY(NEW."<c>"), ST_MaxY(NEW."<c>")
  );
END;

CREATE TRIGGER "<r>_update4" AFTER UPDATE ON "<t>"
  WHEN OLD."<i>" != NEW."<i>" AND
       (NEW."<c>" ISNULL OR ST_IsEmpty(NEW."<c>"))
BEGIN
  DELETE FROM "<r>" WHERE id IN (OLD."<i>", NEW."<i>");
END;

CREATE TRIGGER "<r>_delete" AFTER DELETE ON "<t>"
  WHEN old."<c>" NOT NULL
BEGIN
  DELETE FROM "<r>" WHERE id = OLD."<i>";
END;
