//! Products in bulk: the CSV format of import and export, and the plan of an import — which
//! rows make which product, which product is new and which is an update, and which rows are
//! bad and why — free of I/O.
//!
//! One row per SKU; rows with the same `handle` are one product (its first row carries the
//! product's title, description, category, tags and estimated stock; later rows may leave
//! them empty). A product is imported whole or not at all: one bad row keeps its product out,
//! and the report names every row that was left out and why. A product whose SKU codes are
//! already in the catalog is updated, by the rules of an edit by hand: its content only in a
//! draft or a returned product, the price of one under review or listed only through the
//! price policy (see [`decide`]).

use super::{ApprovalReason, PricePolicy, ProductInput, SkuInput, ValidProduct, ValidSku, EDITABLE};
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

/// Which optional columns the file has. A column the file lacks keeps the current value of a
/// product it updates (a file of prices alone does not clear the categories); for a new
/// product it is empty, as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Given {
    pub category: bool,
    pub tags: bool,
    pub estimated_stock: bool,
    pub variant: bool,
    pub cost: bool,
    pub reorder_point: bool,
}

impl Given {
    pub const ALL: Given = Given { category: true, tags: true, estimated_stock: true, variant: true, cost: true, reorder_point: true };

    pub fn of(header: &[String]) -> Given {
        let has = |c: &str| header.iter().any(|h| h == c);
        Given {
            category: has("category"),
            tags: has("tags"),
            estimated_stock: has("estimated_stock"),
            variant: has("variant"),
            cost: has("cost"),
            reorder_point: has("reorder_point"),
        }
    }
}

/// A product ready to be written, with the file lines it came from (one per SKU, in the
/// order of `product.skus`).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedProduct {
    pub handle: String,
    pub lines: Vec<u64>,
    pub product: ValidProduct,
    pub given: Given,
}

impl PlannedProduct {
    /// The report of a product left out: row `index` is bad for `field`/`message`, the other
    /// rows are left out with it.
    pub fn bad(&self, index: usize, field: &str, message: &str) -> Vec<BadRow> {
        self.lines
            .iter()
            .zip(&self.product.skus)
            .enumerate()
            .map(|(i, (line, sku))| {
                let (field, message) = if i == index {
                    (field.to_string(), message.to_string())
                } else {
                    ("handle".to_string(), format!("not imported: line {} of the same product is bad", self.lines[index]))
                };
                BadRow { line: *line, handle: self.handle.clone(), sku: sku.code.clone(), field, message }
            })
            .collect()
    }
}

/// A product of the catalog as an import compares it: its content (SKUs in their order) and
/// the ids of its SKUs, in the same order.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentProduct {
    pub id: i64,
    pub state: String,
    pub version: i64,
    pub product: ValidProduct,
    pub sku_ids: Vec<i64>,
}

/// A price an import changes on a product that is no longer a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceChange {
    pub sku_id: i64,
    pub code: String,
    pub old: i64,
    pub new: i64,
}

/// What an import does with one planned product.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// None of its SKU codes is in the catalog.
    Create,
    /// Its product says already what the rows say.
    Unchanged(i64),
    /// A draft or returned product, saved as an edit by hand would save it.
    Edit { id: i64, state: String, version: i64, product: ValidProduct },
    /// A product under review, listed or delisted whose rows change prices only, each within
    /// the price policy.
    Reprice { id: i64, changes: Vec<PriceChange> },
    /// Left out, with the report of its rows.
    Bad(Vec<BadRow>),
}

pub const NOT_EDITABLE: &str = "this product is under review, listed or delisted: an import may change only its prices";
pub const MIXED_PRODUCTS: &str = "this SKU code belongs to another product than the other rows of this handle";
pub const NO_PRICE_CHANGE: &str = "you may not change the prices of products under review, listed or delisted";
pub const BELOW_COST: &str = "a price under cost needs a product manager's approval: request it on the product's page";

/// Decides what to do with `p`, given which product owns each of its SKU codes (`owners`,
/// code → product id) and those products as they are now (`current`). The rules are those of
/// the edit form and the price-change page: content changes only in [`EDITABLE`] states,
/// where prices are free as in any draft; elsewhere only prices, with the price-change
/// permission and within `policy` (a change that needs approval is reported, not applied).
pub fn decide(
    p: &PlannedProduct,
    owners: &HashMap<String, i64>,
    current: &HashMap<i64, CurrentProduct>,
    policy: &PricePolicy,
    may_change_prices: bool,
) -> Decision {
    let f = &p.product;
    let owned: Vec<Option<i64>> = f.skus.iter().map(|s| owners.get(&s.code).copied()).collect();
    let Some(first) = owned.iter().position(Option::is_some) else {
        return Decision::Create;
    };
    let id = owned[first].unwrap_or_default();
    if let Some(i) = owned.iter().position(|o| o.is_some_and(|x| x != id)) {
        return Decision::Bad(p.bad(i, "sku", MIXED_PRODUCTS));
    }
    let Some(cur) = current.get(&id) else {
        return Decision::Bad(p.bad(first, "sku", "the product of this SKU could not be read"));
    };
    let g = p.given;
    let row_of = |code: &str| f.skus.iter().position(|s| s.code == code).unwrap_or(0);
    let mut skus: Vec<ValidSku> = cur
        .product
        .skus
        .iter()
        .map(|old| match f.skus.iter().find(|s| s.code == old.code) {
            Some(s) => ValidSku {
                code: s.code.clone(),
                attributes: if g.variant { s.attributes.clone() } else { old.attributes.clone() },
                price: s.price,
                cost: if g.cost { s.cost } else { old.cost },
                reorder_point: if g.reorder_point { s.reorder_point } else { old.reorder_point },
            },
            None => old.clone(),
        })
        .collect();
    skus.extend(f.skus.iter().filter(|s| !cur.product.skus.iter().any(|o| o.code == s.code)).cloned());
    if skus.len() > 50 {
        return Decision::Bad(p.bad(owned.iter().position(Option::is_none).unwrap_or(0), "sku", "at most 50 SKUs per product"));
    }
    let merged = ValidProduct {
        title: f.title.clone(),
        description: f.description.clone(),
        category_id: if g.category { f.category_id } else { cur.product.category_id },
        tags: if g.tags { f.tags.clone() } else { cur.product.tags.clone() },
        estimated_stock: if g.estimated_stock { f.estimated_stock } else { cur.product.estimated_stock },
        skus,
    };
    if merged == cur.product {
        return Decision::Unchanged(id);
    }
    if EDITABLE.contains(&cur.state.as_str()) {
        return Decision::Edit { id, state: cur.state.clone(), version: cur.version, product: merged };
    }
    // Not editable: everything but the prices must be as it is.
    let (c, m) = (&cur.product, &merged);
    let product_diff = [
        ("title", c.title != m.title),
        ("description", c.description != m.description),
        ("category", c.category_id != m.category_id),
        ("tags", c.tags != m.tags),
        ("estimated_stock", c.estimated_stock != m.estimated_stock),
    ]
    .into_iter()
    .find(|d| d.1);
    if let Some((field, _)) = product_diff {
        return Decision::Bad(p.bad(0, field, NOT_EDITABLE));
    }
    if let Some(new) = m.skus.get(c.skus.len()) {
        return Decision::Bad(p.bad(row_of(&new.code), "sku", NOT_EDITABLE));
    }
    for (old, new) in c.skus.iter().zip(&m.skus) {
        for (field, differs) in
            [("variant", old.attributes != new.attributes), ("cost", old.cost != new.cost), ("reorder_point", old.reorder_point != new.reorder_point)]
        {
            if differs {
                return Decision::Bad(p.bad(row_of(&new.code), field, NOT_EDITABLE));
            }
        }
    }
    let mut changes = Vec::new();
    for ((old, new), sku_id) in c.skus.iter().zip(&m.skus).zip(&cur.sku_ids) {
        if old.price == new.price {
            continue;
        }
        let row = row_of(&new.code);
        if !may_change_prices {
            return Decision::Bad(p.bad(row, "price", NO_PRICE_CHANGE));
        }
        match policy.needs_approval(old.price, new.price, old.cost) {
            None => changes.push(PriceChange { sku_id: *sku_id, code: new.code.clone(), old: old.price, new: new.price }),
            Some(ApprovalReason::BelowCost) => return Decision::Bad(p.bad(row, "price", BELOW_COST)),
            Some(ApprovalReason::BeyondLimit) => {
                let why = format!(
                    "a change of more than {} % needs a product manager's approval: request it on the product's page",
                    policy.change_limit_pct
                );
                return Decision::Bad(p.bad(row, "price", &why));
            }
        }
    }
    Decision::Reprice { id, changes }
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
    /// Products created, updated and found already as the file says.
    pub imported_products: i64,
    pub updated_products: i64,
    pub unchanged_products: i64,
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
/// tea", case-insensitive) to its id. Whether a product is new or an update is decided when it
/// is written ([`decide`]), against the catalog as it is then.
pub fn plan(rows: Vec<CsvRow>, categories: &HashMap<String, i64>, given: Given) -> (Vec<PlannedProduct>, Vec<BadRow>) {
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
        match plan_product(&rows, categories, &seen_skus) {
            Ok(product) => {
                seen_skus.extend(product.skus.iter().map(|s| s.code.clone()));
                planned.push(PlannedProduct { handle, lines: rows.iter().map(|r| r.line).collect(), product, given });
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
        let (planned, bad) = plan(rows, &cats(), Given::ALL);
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
        let (planned, bad) = plan(rows, &cats(), Given::ALL);
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].product.title, "Keemun");
        let lines: Vec<_> = bad.iter().map(|b| (b.line, b.field.as_str())).collect();
        assert_eq!(lines, [(2, "handle"), (3, "price"), (5, "handle")]);
        assert!(bad[0].message.contains("line 3"), "{:?}", bad[0]);
    }

    #[test]
    fn unknown_categories_repeated_skus_and_contradictions_are_reported() {
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
        let (planned, bad) = plan(rows, &cats(), Given::ALL);
        // c is refused, so its C-1 is free for d; e then repeats d's code. A code already in
        // the catalog (b) is an update, decided when written.
        assert_eq!(planned.iter().map(|p| p.product.title.as_str()).collect::<Vec<_>>(), ["B", "D"]);
        let why: Vec<_> = bad.iter().map(|b| (b.line, b.field.as_str(), b.message.as_str())).collect();
        assert_eq!(why[0], (2, "category", "unknown category"));
        assert_eq!((why[1].0, why[1].1), (4, "handle"));
        assert_eq!((why[2].0, why[2].1), (5, "title"));
        assert!(why[2].2.starts_with("differs from line 4"), "{why:?}");
        assert_eq!(why[3], (7, "sku", "this SKU code appears in another product of the file"));
        assert_eq!(bad.len(), 4);
    }

    fn current(state: &str) -> CurrentProduct {
        let rows = vec![row(2, "lj", "Longjing", "LJ-1", "100"), row(3, "lj", "", "LJ-2", "200")];
        let (planned, _) = plan(rows, &cats(), Given::ALL);
        let mut product = planned[0].product.clone();
        product.skus[0].cost = 50_00;
        CurrentProduct { id: 9, state: state.into(), version: 4, product, sku_ids: vec![91, 92] }
    }

    fn decide_on(state: &str, rows: Vec<CsvRow>, given: Given, may_price: bool) -> Decision {
        let (planned, bad) = plan(rows, &cats(), given);
        assert!(bad.is_empty(), "{bad:?}");
        let owners = HashMap::from([("LJ-1".to_string(), 9), ("LJ-2".to_string(), 9), ("QM-1".to_string(), 10)]);
        let cur = HashMap::from([(9, current(state))]);
        decide(&planned[0], &owners, &cur, &PricePolicy::default(), may_price)
    }

    #[test]
    fn new_codes_create_and_known_codes_update_by_the_rules_of_an_edit() {
        let only_prices = Given { cost: false, ..Given::ALL };
        assert_eq!(decide_on("draft", vec![row(2, "n", "New", "NEW-1", "1")], Given::ALL, true), Decision::Create);
        // The same content, the cost column absent: nothing to do.
        let same = vec![row(2, "lj", "Longjing", "LJ-1", "100"), row(3, "lj", "", "LJ-2", "200")];
        assert_eq!(decide_on("listed", same.clone(), only_prices, true), Decision::Unchanged(9));
        // A draft takes any change, prices too, and keeps the SKUs the file does not name.
        let Decision::Edit { id, version, product, .. } =
            decide_on("returned", vec![row(2, "lj", "Longjing 2", "LJ-1", "300"), row(3, "lj", "", "LJ-3", "5")], only_prices, true)
        else {
            panic!("an edit")
        };
        assert_eq!((id, version, product.title.as_str()), (9, 4, "Longjing 2"));
        assert_eq!(product.skus.iter().map(|s| (s.code.as_str(), s.price, s.cost)).collect::<Vec<_>>(), [("LJ-1", 300_00, 50_00), ("LJ-2", 200_00, 0), ("LJ-3", 5_00, 0)]);
        // Listed: content stays, prices within the limit apply, beyond it or without the
        // permission the product is reported.
        let Decision::Bad(bad) = decide_on("listed", vec![row(2, "lj", "Longjing 2", "LJ-1", "100")], only_prices, true) else { panic!() };
        assert_eq!((bad[0].field.as_str(), bad[0].message.as_str()), ("title", NOT_EDITABLE));
        let mut priced = same.clone();
        priced[1].price = "220".into();
        assert_eq!(
            decide_on("listed", priced.clone(), only_prices, true),
            Decision::Reprice { id: 9, changes: vec![PriceChange { sku_id: 92, code: "LJ-2".into(), old: 200_00, new: 220_00 }] }
        );
        let Decision::Bad(bad) = decide_on("listed", priced, only_prices, false) else { panic!() };
        assert_eq!((bad[1].line, bad[1].field.as_str(), bad[1].message.as_str()), (3, "price", NO_PRICE_CHANGE));
        assert_eq!((bad[0].line, bad[0].field.as_str()), (2, "handle"));
        let mut far = same.clone();
        far[0].price = "121".into();
        let Decision::Bad(bad) = decide_on("submitted", far, only_prices, true) else { panic!() };
        assert!(bad[0].message.contains("more than 20 %"), "{bad:?}");
        let mut under = same;
        under[0].price = "45".into();
        let Decision::Bad(bad) = decide_on("listed", under, only_prices, true) else { panic!() };
        assert_eq!(bad[0].message, BELOW_COST);
        // Rows of one handle naming SKUs of two products.
        let Decision::Bad(bad) = decide_on("draft", vec![row(2, "lj", "Longjing", "LJ-1", "100"), row(3, "lj", "", "QM-1", "1")], Given::ALL, true)
        else {
            panic!()
        };
        assert_eq!((bad[1].field.as_str(), bad[1].message.as_str()), ("sku", MIXED_PRODUCTS));
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
            updated_products: 0,
            unchanged_products: 0,
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
