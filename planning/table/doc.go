// Package table writes the 项目库 (project library) 申报表 as XLSX (项目库
// in the national layout with SUBTOTAL formulas by 项目类型, category and
// township, 绩效目标, 汇总, 评分依据, 已出库; print-ready) and as CSV (UTF-8
// with BOM). The API's download and `gapmap projects export` both call it,
// so the table has one definition (domain.md §6).
//
// It depends on package planning for the Project type (and planning/access
// for the exporting user, DeclarationMeta's 填报单位), on excelize, and
// on data/export (pure, no database) for the CSV formula guard it shares
// with the GIS exports; it must not import net/http or package data: it
// writes to an io.Writer and knows nothing of requests or the database.
package table
