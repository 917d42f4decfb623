//! Products in bulk: the CSV format of import and export, and the plan of an import — which
//! rows make which product, and which rows are bad and why — free of I/O.
//!
//! One row per SKU; rows with the same `handle` are one product (its first row carries the
//! product's title, description, category, tags and estimated stock; later rows may leave
//! them empty). A product is imported whole or not at all: one bad row keeps its product out,
//! and the report names every row that was left out and why.

use super::{ProductInput, SkuInput, ValidProduct};
use crate::domain::AppError;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// The columns, in the order export writes them. `state` is written by export and ignored by
/// import (imported products are always drafts that go through review).
pub const COLUMNS: &[&str] =
    &["handle", "title", "description", "category", "tags", "estimated_stock", "sku", "variant", "price", "cost", "reorder_point", "state"];
/// Columns an import file must have.
pub const REQUIRED: &[&str] = &["handle", "title", "description", "sku", "price"];
pub const MAX_ROWS: usize = 200_000;
pub const MAX_BYTES: usize = 32 << 20;
/// Tags are separated by `|` in a cell (commas would fight the CSV).
pub const TAG_SEPARATOR: char = '|';

/// One data row of an import file; `line` is its line number in the file (the header is 1).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CsvRow {
    pub line: u64,
    pub handle: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub tags: String,
    pub estimated_stock: String,
    pub sku: String,
    pub variant: String,
    pub price: String,
    pub cost: String,
    pub reorder_point: String,
}

impl CsvRow {
    /// Sets the cell of `column` (a name from [`COLUMNS`]).
    pub fn set(&mut self, column: &str, value: &str) {
        let v = value.to_string();
        match column {
            "handle" => self.handle = v,
            "title" => self.title = v,
            "description" => self.description = v,
            "category" => self.category = v,
            "tags" => self.tags = v,
            "estimated_stock" => self.estimated_stock = v,
            "sku" => self.sku = v,
            "variant" => self.variant = v,
            "price" => self.price = v,
            "cost" => self.cost = v,
            "reorder_point" => self.reorder_point = v,
            _ => {}
        }
    }
}

/// A row left out of an import: where, and why (`field` is a column or "file").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadRow {
    pub line: u64,
    pub handle: String,
    pub sku: String,
    pub field: String,
    pub message: String,
}

impl BadRow {
    pub fn of(row: &CsvRow, field: &str, message: &str) -> BadRow {
        BadRow { line: row.line, handle: row.handle.clone(), sku: row.sku.clone(), field: field.into(), message: message.into() }
    }
}

/// A product ready to be written, with the file lines it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedProduct {
    pub lines: Vec<u64>,
    pub product: ValidProduct,
}

pub const RUNNING: &str = "running";
pub const DONE: &str = "done";
pub const FAILED: &str = "failed";

/// An import as the page follows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportJob {
    pub id: i64,
    pub file_name: String,
    pub state: String,
    pub total_rows: i64,
    pub done_rows: i64,
    pub imported_products: i64,
    pub bad_rows: Vec<BadRow>,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

impl ImportJob {
    /// Progress in whole percent.
    pub fn percent(&self) -> i64 {
        if self.total_rows == 0 {
            100
        } else {
            (self.done_rows * 100 / self.total_rows).min(100)
        }
    }
}

/// Groups rows into products by handle, in the order handles first appear, and validates
/// each product as the product form would. `categories` maps a category path ("Tea / Green
/// tea", case-insensitive) to its id; `taken` holds the SKU codes already in the catalog.
pub fn plan(rows: Vec<CsvRow>, categories: &HashMap<String, i64>, taken: &HashSet<String>) -> (Vec<PlannedProduct>, Vec<BadRow>) {
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Vec<CsvRow>> = HashMap::new();
    let mut bad = Vec::new();
    for row in rows {
        let handle = row.handle.trim().to_string();
        if handle.is_empty() {
            bad.push(BadRow::of(&row, "handle", "required"));
            continue;
        }
        if !groups.contains_key(&handle) {
            order.push(handle.clone());
        }
        groups.entry(handle).or_default().push(row);
    }
    let mut planned = Vec::with_capacity(order.len());
    let mut seen_skus: HashSet<String> = HashSet::new();
    for handle in order {
        let rows = groups.remove(&handle).unwrap_or_default();
        match plan_product(&rows, categories, taken, &seen_skus) {
            Ok(product) => {
                seen_skus.extend(product.skus.iter().map(|s| s.code.clone()));
                planned.push(PlannedProduct { lines: rows.iter().map(|r| r.line).collect(), product });
            }
            Err((index, field, message)) => {
                for (i, row) in rows.iter().enumerate() {
                    if i == index {
                        bad.push(BadRow::of(row, &field, &message));
                    } else {
                        let why = format!("not imported: line {} of the same product is bad", rows[index].line);
                        bad.push(BadRow::of(row, "handle", &why));
                    }
                }
            }
        }
    }
    bad.sort_by_key(|b| b.line);
    (planned, bad)
}

/// One product from its rows, or (index of the bad row, field, message).
fn plan_product(
    rows: &[CsvRow],
    categories: &HashMap<String, i64>,
    taken: &HashSet<String>,
    seen: &HashSet<String>,
) -> Result<ValidProduct, (usize, String, String)> {
    let first = &rows[0];
    // Later rows may repeat the product's cells or leave them empty, not contradict them.
    for (i, row) in rows.iter().enumerate().skip(1) {
        for (field, mine, theirs) in [
            ("title", &row.title, &first.title),
            ("description", &row.description, &first.description),
            ("category", &row.category, &first.category),
            ("tags", &row.tags, &first.tags),
            ("estimated_stock", &row.estimated_stock, &first.estimated_stock),
        ] {
            if !mine.trim().is_empty() && mine.trim() != theirs.trim() {
                return Err((i, field.into(), format!("differs from line {} of the same product", first.line)));
            }
        }
    }
    let category_id = match first.category.trim() {
        "" => None,
        path => match categories.get(&normalize_path(path)) {
            Some(id) => Some(*id),
            None => return Err((0, "category".into(), "unknown category".into())),
        },
    };
    let input = ProductInput {
        title: first.title.clone(),
        description: first.description.clone(),
        category_id,
        tags: first.tags.split(TAG_SEPARATOR).collect::<Vec<_>>().join(","),
        estimated_stock: first.estimated_stock.clone(),
        skus: rows
            .iter()
            .map(|r| SkuInput {
                code: r.sku.clone(),
                attributes: r.variant.clone(),
                price: r.price.clone(),
                cost: r.cost.clone(),
                reorder_point: r.reorder_point.clone(),
            })
            .collect(),
    };
    let product = input.validate().map_err(|e| row_of(&e))?;
    for (i, s) in product.skus.iter().enumerate() {
        if taken.contains(&s.code) {
            return Err((i, "sku".into(), "this SKU code is already in the catalog".into()));
        }
        if seen.contains(&s.code) {
            return Err((i, "sku".into(), "this SKU code appears in another product of the file".into()));
        }
    }
    Ok(product)
}

/// Maps a product-form error onto the row it is about: SKU errors ("line N: field: message")
/// to row N-1 with the CSV column, product errors to the first row.
fn row_of(e: &AppError) -> (usize, String, String) {
    let AppError::Invalid { field, message } = e else {
        return (0, "file".into(), e.to_string());
    };
    let column = |f: &str| match f {
        "code" => "sku".to_string(),
        "attributes" => "variant".to_string(),
        "category_id" => "category".to_string(),
        other => other.to_string(),
    };
    if field == "skus" {
        if let Some((n, rest)) = message.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
            let (f, m) = rest.split_once(": ").unwrap_or(("sku", rest));
            return (n.parse::<usize>().unwrap_or(1).saturating_sub(1), column(f), m.to_string());
        }
        // "at most 50 SKUs per product", "the same SKU code appears twice", …
        return (0, "sku".into(), message.clone());
    }
    (0, column(field), message.clone())
}

/// "Tea/Green tea", " tea / GREEN TEA " → "tea / green tea".
pub fn normalize_path(path: &str) -> String {
    path.split('/').map(|p| p.trim().to_lowercase()).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, handle: &str, title: &str, sku: &str, price: &str) -> CsvRow {
        CsvRow { line, handle: handle.into(), title: title.into(), description: "d".into(), sku: sku.into(), price: price.into(), ..Default::default() }
    }

    fn cats() -> HashMap<String, i64> {
        HashMap::from([(normalize_path("Tea / Green tea"), 7)])
    }

    #[test]
    fn rows_of_one_handle_make_one_product() {
        let mut a = row(2, "lj", "Longjing", "LJ-1", "10");
        a.category = "tea/green TEA".into();
        a.tags = "green|spring".into();
        let rows = vec![a, row(3, "qm", "Keemun", "QM-1", "8"), row(4, "lj", "", "LJ-2", "18.50")];
        let (planned, bad) = plan(rows, &cats(), &HashSet::new());
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(planned.len(), 2);
        assert_eq!(planned[0].lines, [2, 4]);
        let p = &planned[0].product;
        assert_eq!((p.title.as_str(), p.category_id, p.tags.clone()), ("Longjing", Some(7), vec!["green".to_string(), "spring".into()]));
        assert_eq!(p.skus.iter().map(|s| (s.code.as_str(), s.price)).collect::<Vec<_>>(), [("LJ-1", 1000), ("LJ-2", 1850)]);
    }

    #[test]
    fn a_bad_row_keeps_its_whole_product_out_and_says_why() {
        let rows = vec![
            row(2, "lj", "Longjing", "LJ-1", "10"),
            row(3, "lj", "", "LJ-2", "0"),
            row(4, "qm", "Keemun", "QM-1", "8"),
            row(5, "", "No handle", "X-1", "8"),
        ];
        let (planned, bad) = plan(rows, &cats(), &HashSet::new());
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].product.title, "Keemun");
        let lines: Vec<_> = bad.iter().map(|b| (b.line, b.field.as_str())).collect();
        assert_eq!(lines, [(2, "handle"), (3, "price"), (5, "handle")]);
        assert!(bad[0].message.contains("line 3"), "{:?}", bad[0]);
    }

    #[test]
    fn unknown_categories_taken_or_repeated_skus_and_contradictions_are_reported() {
        let mut unknown = row(2, "a", "A", "A-1", "1");
        unknown.category = "Coffee".into();
        let mut contradicts = row(5, "c", "Other title", "C-2", "1");
        contradicts.title = "Other title".into();
        let rows = vec![
            unknown,
            row(3, "b", "B", "TAKEN-1", "1"),
            row(4, "c", "C", "C-1", "1"),
            contradicts,
            row(6, "d", "D", "c-1", "1"),
            row(7, "e", "E", "C-1", "1"),
        ];
        let taken = HashSet::from(["TAKEN-1".to_string()]);
        let (planned, bad) = plan(rows, &cats(), &taken);
        // c is refused, so its C-1 is free for d; e then repeats d's code.
        assert_eq!(planned.iter().map(|p| p.product.title.as_str()).collect::<Vec<_>>(), ["D"]);
        let why: Vec<_> = bad.iter().map(|b| (b.line, b.field.as_str(), b.message.as_str())).collect();
        assert_eq!(why[0], (2, "category", "unknown category"));
        assert_eq!(why[1], (3, "sku", "this SKU code is already in the catalog"));
        assert_eq!((why[2].0, why[2].1), (4, "handle"));
        assert_eq!((why[3].0, why[3].1), (5, "title"));
        assert!(why[3].2.starts_with("differs from line 4"), "{why:?}");
        assert_eq!(why[4], (7, "sku", "this SKU code appears in another product of the file"));
        assert_eq!(bad.len(), 5);
    }

    #[test]
    fn progress_is_a_percentage() {
        let job = |total, done| ImportJob {
            id: 1,
            file_name: String::new(),
            state: RUNNING.into(),
            total_rows: total,
            done_rows: done,
            imported_products: 0,
            bad_rows: vec![],
            error: None,
            created_by: String::new(),
            created_at: 0,
            finished_at: None,
        };
        assert_eq!(job(200, 50).percent(), 25);
        assert_eq!(job(0, 0).percent(), 100);
    }
}
