// Package table writes the standard 项目库 (project library) table as XLSX
// (项目库 with subtotals by category and township, 绩效目标, 汇总; print-ready)
// and as CSV (UTF-8 with BOM). The API's download and `gapmap projects
// export` both call it, so the table has one definition (domain.md §6).
//
// It depends on package planning for the Project type, on excelize, and
// on data/export (pure, no database) for the CSV formula guard it shares
// with the GIS exports; it must not import net/http or package data: it
// writes to an io.Writer and knows nothing of requests or the database.
package table
