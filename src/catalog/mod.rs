//! Products: the listing review (draft → review → listed, returned with reasons, delisted and
//! relisted), SKUs with their variant attributes, prices and reorder points, the category
//! tree, and the customer catalog with its search.

pub mod api;
pub mod bulk;
pub mod bulk_pages;
#[cfg(feature = "ssr")]
pub mod image_service;
pub mod image_pages;
pub mod images;
#[cfg(feature = "ssr")]
pub mod bulk_service;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod pricing;

use crate::domain::{parse_money, required_text, AppError, AppResult, Permission, Role};
use crate::engine::{Action, AuditEvent, Field, FieldKind, SlaStatus, State, Text, Workflow};
use serde::{Deserialize, Serialize};

pub const DRAFT: State = State { id: "draft", name: Text::new("Draft", "草稿"), terminal: false };
pub const IN_REVIEW: State = State { id: "submitted", name: Text::new("In review", "审核中"), terminal: false };
pub const LISTED: State = State { id: "listed", name: Text::new("Listed", "已上架"), terminal: false };
pub const RETURNED: State = State { id: "returned", name: Text::new("Returned", "已退回"), terminal: false };
pub const DELISTED: State = State { id: "delisted", name: Text::new("Delisted", "已下架"), terminal: false };

const COMMENT: Field = Field {
    name: "comment",
    label: Text::new("Comment", "备注"),
    kind: FieldKind::LongText,
    required: false,
    max_chars: 1000,
};

pub const LISTING: Workflow = Workflow {
    id: "listing",
    name: Text::new("Product listing", "商品上架"),
    purpose: Text::new(
        "Every product the customers see has been drafted completely, checked by a second person and approved by the product manager; nothing half-finished reaches the shop.",
        "客户看到的每件商品都经过完整录入、第二人检查并由商品经理批准；半成品不会出现在店铺中。",
    ),
    table: "products",
    states: &[DRAFT, IN_REVIEW, LISTED, RETURNED, DELISTED],
    actions: &[
        Action {
            id: "create",
            label: Text::new("Create draft", "新建草稿"),
            from: &[],
            to: DRAFT,
            permission: Permission::ProductEdit,
            owner: Role::ProductSpecialist,
            sla_hours: None,
            sop: Text::new(
                "Enter the title as customers search for it, a description that answers size, material and use, every variant as its own SKU with price, cost and reorder point, the category and tags. A draft is invisible to customers.",
                "按客户搜索习惯填写标题；描述要回答尺寸、材质和用途；每个规格建一个 SKU，并填写售价、成本和补货点；选择类目并添加标签。草稿对客户不可见。",
            ),
            form: &[],
        },
        Action {
            id: "submit",
            label: Text::new("Submit for review", "提交审核"),
            from: &[DRAFT],
            to: IN_REVIEW,
            permission: Permission::ProductEdit,
            owner: Role::ProductSpecialist,
            sla_hours: None,
            sop: Text::new(
                "Check the draft against the listing checklist (title, photos, every SKU priced above cost, category) before submitting; the reviewer returns incomplete drafts.",
                "提交前对照上架清单检查草稿（标题、图片、每个 SKU 售价高于成本、类目）；不完整的草稿会被退回。",
            ),
            form: &[],
        },
        Action {
            id: "approve",
            label: Text::new("Approve and list", "批准上架"),
            from: &[IN_REVIEW],
            to: LISTED,
            permission: Permission::ProductApprove,
            owner: Role::ProductManager,
            sla_hours: Some(24),
            sop: Text::new(
                "Within a working day: check the facts, the prices against cost and competitors, and the category. Approving lists the product in the customer catalog at once.",
                "一个工作日内：核对商品信息、售价与成本及竞品、类目。批准后商品立即在客户商城上架。",
            ),
            form: &[COMMENT],
        },
        Action {
            id: "return",
            label: Text::new("Return with reasons", "退回修改"),
            from: &[IN_REVIEW],
            to: RETURNED,
            permission: Permission::ProductApprove,
            owner: Role::ProductManager,
            sla_hours: Some(24),
            sop: Text::new(
                "Within a working day: when something is missing or wrong, return the draft and list every point to fix, so that one round of corrections is enough.",
                "一个工作日内：若有缺漏或错误，退回草稿并逐条写明需修改之处，力求一次改好。",
            ),
            form: &[Field {
                name: "reasons",
                label: Text::new("What to fix", "修改意见"),
                kind: FieldKind::LongText,
                required: true,
                max_chars: 2000,
            }],
        },
        Action {
            id: "resubmit",
            label: Text::new("Resubmit", "重新提交"),
            from: &[RETURNED],
            to: IN_REVIEW,
            permission: Permission::ProductEdit,
            owner: Role::ProductSpecialist,
            sla_hours: Some(48),
            sop: Text::new(
                "Within two working days: fix every point of the review and resubmit; say in the comment what changed.",
                "两个工作日内：逐条修改审核意见后重新提交，并在备注中说明改动。",
            ),
            form: &[COMMENT],
        },
        Action {
            id: "delist",
            label: Text::new("Delist", "下架"),
            from: &[LISTED],
            to: DELISTED,
            permission: Permission::ProductDelist,
            owner: Role::ProductManager,
            sla_hours: None,
            sop: Text::new(
                "Delist a product that must not be sold now (quality issue, end of season, supplier stopped). Open orders are not affected. Give the reason.",
                "因质量问题、季末或供应商停供等原因暂停销售时下架商品，不影响已有订单。需写明原因。",
            ),
            form: &[Field {
                name: "reason",
                label: Text::new("Reason", "原因"),
                kind: FieldKind::LongText,
                required: true,
                max_chars: 1000,
            }],
        },
        Action {
            id: "relist",
            label: Text::new("Relist", "重新上架"),
            from: &[DELISTED],
            to: LISTED,
            permission: Permission::ProductDelist,
            owner: Role::ProductManager,
            sla_hours: None,
            sop: Text::new(
                "Relist when the reason for delisting is gone; check price and stock first.",
                "下架原因消除后重新上架；上架前先核对价格和库存。",
            ),
            form: &[COMMENT],
        },
    ],
};

/// States in which the specialist may still change the product's content.
pub const EDITABLE: &[&str] = &["draft", "returned"];

/// One variant as the product form submits it; amounts are decimal text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SkuInput {
    pub code: String,
    pub attributes: String,
    pub price: String,
    pub cost: String,
    pub reorder_point: String,
}

/// The product form: content of a draft.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductInput {
    pub title: String,
    pub description: String,
    pub category_id: Option<i64>,
    pub tags: String,
    pub estimated_stock: String,
    pub skus: Vec<SkuInput>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidSku {
    pub code: String,
    pub attributes: String,
    pub price: i64,
    pub cost: i64,
    pub reorder_point: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ValidProduct {
    pub title: String,
    pub description: String,
    pub category_id: Option<i64>,
    pub tags: Vec<String>,
    pub estimated_stock: i64,
    pub skus: Vec<ValidSku>,
}

impl ValidProduct {
    /// What the catalog search looks in: title, description, SKU codes, attributes and tags,
    /// lower-cased once here so that the query side only lower-cases the terms.
    pub fn search_text(&self) -> String {
        let mut parts = vec![self.title.clone(), self.description.clone()];
        parts.extend(self.skus.iter().flat_map(|s| [s.code.clone(), s.attributes.clone()]));
        parts.extend(self.tags.iter().cloned());
        parts.join(" \n").to_lowercase()
    }

    pub fn min_price(&self) -> i64 {
        self.skus.iter().map(|s| s.price).min().unwrap_or(0)
    }
}

/// Parses a whole number of units in `0..=max`.
pub fn parse_quantity(field: &str, text: &str, max: i64) -> AppResult<i64> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    let n: i64 = t.parse().map_err(|_| AppError::invalid(field, "enter a whole number"))?;
    if n < 0 {
        return Err(AppError::invalid(field, "must not be negative"));
    }
    if n > max {
        return Err(AppError::invalid(field, "number too large"));
    }
    Ok(n)
}

/// Tags: comma separated (either comma), trimmed, lower-cased, without duplicates.
pub fn parse_tags(text: &str) -> AppResult<Vec<String>> {
    let mut tags: Vec<String> = Vec::new();
    for t in text.split([',', '，']) {
        let t = t.trim().to_lowercase();
        if t.is_empty() || tags.contains(&t) {
            continue;
        }
        if t.chars().count() > 30 {
            return Err(AppError::invalid("tags", "a tag has at most 30 characters"));
        }
        tags.push(t);
    }
    if tags.len() > 12 {
        return Err(AppError::invalid("tags", "at most 12 tags"));
    }
    Ok(tags)
}

/// A SKU code: letters, digits, '-', '_' and '.', up to 40 characters, stored upper-case.
pub fn parse_sku_code(field: &str, text: &str) -> AppResult<String> {
    let code = text.trim().to_uppercase();
    if code.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    if code.len() > 40 || !code.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(AppError::invalid(field, "use letters, digits, '-', '_' or '.' (at most 40)"));
    }
    Ok(code)
}

impl ProductInput {
    /// Validates the whole form; the first problem is reported on its field. SKU problems
    /// name the line (`skus`, "line 2: …") because the form has a variable number of lines.
    pub fn validate(&self) -> AppResult<ValidProduct> {
        let title = required_text("title", &self.title, 120)?;
        let description = required_text("description", &self.description, 5000)?;
        let tags = parse_tags(&self.tags)?;
        let estimated_stock = if self.estimated_stock.trim().is_empty() {
            0
        } else {
            parse_quantity("estimated_stock", &self.estimated_stock, 10_000_000)?
        };
        if self.skus.is_empty() {
            return Err(AppError::invalid("skus", "add at least one SKU"));
        }
        if self.skus.len() > 50 {
            return Err(AppError::invalid("skus", "at most 50 SKUs per product"));
        }
        let mut skus: Vec<ValidSku> = Vec::with_capacity(self.skus.len());
        for (i, s) in self.skus.iter().enumerate() {
            let line = |e: AppError| e.at_line("skus", i + 1);
            let code = parse_sku_code("code", &s.code).map_err(line)?;
            if skus.iter().any(|k| k.code == code) {
                return Err(line(AppError::invalid("code", "the same SKU code appears twice")));
            }
            let attributes = crate::domain::optional_text("attributes", &s.attributes, 200).map_err(line)?.unwrap_or_default();
            let price = parse_money("price", &s.price).map_err(line)?;
            if price == 0 {
                return Err(line(AppError::invalid("price", "must be greater than zero")));
            }
            let cost = if s.cost.trim().is_empty() { 0 } else { parse_money("cost", &s.cost).map_err(line)? };
            let reorder_point = if s.reorder_point.trim().is_empty() {
                0
            } else {
                parse_quantity("reorder_point", &s.reorder_point, 1_000_000).map_err(line)?
            };
            skus.push(ValidSku { code, attributes, price, cost, reorder_point });
        }
        Ok(ValidProduct { title, description, category_id: self.category_id, tags, estimated_stock, skus })
    }
}

/// A category as the tree lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    /// 0 for a top-level category.
    pub depth: usize,
    /// "Parent / Child" names from the root.
    pub path: String,
}

/// Orders categories depth-first (children after their parent, siblings by name) and fills
/// in depth and path. Categories whose parent is missing are treated as top-level.
pub fn category_tree(mut flat: Vec<(i64, Option<i64>, String)>) -> Vec<Category> {
    flat.sort_by(|a, b| a.2.to_lowercase().cmp(&b.2.to_lowercase()));
    let ids: std::collections::HashSet<i64> = flat.iter().map(|c| c.0).collect();
    let mut out = Vec::with_capacity(flat.len());
    fn walk(flat: &[(i64, Option<i64>, String)], parent: Option<i64>, depth: usize, prefix: &str, ids: &std::collections::HashSet<i64>, out: &mut Vec<Category>) {
        for (id, p, name) in flat {
            let effective = p.filter(|p| ids.contains(p));
            if effective != parent || depth > 32 {
                continue;
            }
            let path = if prefix.is_empty() { name.clone() } else { format!("{prefix} / {name}") };
            out.push(Category { id: *id, parent_id: *p, name: name.clone(), depth, path: path.clone() });
            walk(flat, Some(*id), depth + 1, &path, ids, out);
        }
    }
    walk(&flat, None, 0, "", &ids, &mut out);
    out
}

/// `id` and every category below it.
pub fn with_descendants(tree: &[Category], id: i64) -> Vec<i64> {
    let mut out = vec![id];
    let mut i = 0;
    while i < out.len() {
        let current = out[i];
        out.extend(tree.iter().filter(|c| c.parent_id == Some(current)).map(|c| c.id));
        i += 1;
    }
    out
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sku {
    pub id: i64,
    pub code: String,
    pub attributes: String,
    pub price: i64,
    pub cost: i64,
    pub reorder_point: i64,
    /// Available (on hand minus reserved) across active warehouses.
    pub available: i64,
}

/// A product as the staff pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub category_id: Option<i64>,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub estimated_stock: i64,
    pub min_price: i64,
    pub review_note: Option<String>,
    pub state: String,
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub sla: SlaStatus,
    pub skus: Vec<Sku>,
}

impl Product {
    /// The form's values, for editing.
    pub fn input(&self) -> ProductInput {
        use crate::domain::format_money;
        ProductInput {
            title: self.title.clone(),
            description: self.description.clone(),
            category_id: self.category_id,
            tags: self.tags.join(", "),
            estimated_stock: self.estimated_stock.to_string(),
            skus: self
                .skus
                .iter()
                .map(|s| SkuInput {
                    code: s.code.clone(),
                    attributes: s.attributes.clone(),
                    price: format_money(s.price),
                    cost: format_money(s.cost),
                    reorder_point: s.reorder_point.to_string(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductDetail {
    pub product: Product,
    pub events: Vec<AuditEvent>,
    /// Ids of the workflow actions the viewer may take now.
    pub actions: Vec<String>,
    /// Whether the viewer may edit the content now.
    pub editable: bool,
    pub images: Vec<images::ProductImage>,
}

/// One line of the staff product list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductRow {
    pub id: i64,
    pub title: String,
    pub category: Option<String>,
    pub skus: i64,
    pub min_price: i64,
    pub state: String,
    pub version: i64,
    pub updated_at: i64,
    pub sla: SlaStatus,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CatalogSort {
    /// Title matches first, then newest.
    #[default]
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
}

impl CatalogSort {
    pub fn key(self) -> &'static str {
        match self {
            CatalogSort::Relevance => "relevance",
            CatalogSort::Newest => "newest",
            CatalogSort::PriceAsc => "price_asc",
            CatalogSort::PriceDesc => "price_desc",
        }
    }
    pub fn from_key(k: &str) -> CatalogSort {
        match k {
            "newest" => CatalogSort::Newest,
            "price_asc" => CatalogSort::PriceAsc,
            "price_desc" => CatalogSort::PriceDesc,
            _ => CatalogSort::Relevance,
        }
    }
}

/// The customer catalog's query: search text, filters, order and page (from 1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CatalogQuery {
    pub q: String,
    pub category: Option<i64>,
    pub tag: String,
    /// Decimal text, as typed.
    pub min_price: String,
    pub max_price: String,
    pub sort: CatalogSort,
    pub page: i64,
}

pub const CATALOG_PAGE_SIZE: i64 = 24;
/// Counting every match of a broad search costs more than showing it; past this many the
/// shop says "1000+" and the customer narrows the search.
pub const CATALOG_COUNT_LIMIT: i64 = 1000;

/// Chinese, Japanese and Korean ideographs and kana: scripts written without spaces.
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}')
}

/// A term the trigram index cannot serve but the gram index can: one or two CJK characters
/// (most Chinese words are two characters long).
pub fn is_short_cjk(term: &str) -> bool {
    let n = term.chars().count();
    (1..=2).contains(&n) && term.chars().all(is_cjk)
}

/// Every CJK character and every pair of adjacent CJK characters of `text`, space separated
/// and without repeats, after a leading space (an indexed product's value is never empty, so
/// an empty one means "not indexed yet"). Indexed word by word, they answer one- and
/// two-character searches without a scan.
pub fn cjk_grams(text: &str) -> String {
    let mut grams: Vec<String> = Vec::new();
    let mut run: Vec<char> = Vec::new();
    let flush = |run: &mut Vec<char>, grams: &mut Vec<String>| {
        for (i, c) in run.iter().enumerate() {
            for g in [c.to_string(), run.get(i + 1).map(|d| format!("{c}{d}")).unwrap_or_default()] {
                if !g.is_empty() && !grams.contains(&g) {
                    grams.push(g);
                }
            }
        }
        run.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut grams);
        }
    }
    flush(&mut run, &mut grams);
    format!(" {}", grams.join(" "))
}

/// Splits search text into lower-cased terms; every term must match. At most 8 terms.
pub fn search_terms(q: &str) -> Vec<String> {
    q.split_whitespace().map(|t| t.to_lowercase()).filter(|t| !t.is_empty()).take(8).collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogItem {
    pub id: i64,
    pub title: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub min_price: i64,
    /// The lowest promotional price running now on one of its SKUs.
    pub promo_price: Option<i64>,
    pub available: i64,
    /// The first image's thumbnail.
    pub thumb_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogPage {
    pub items: Vec<CatalogItem>,
    /// Matches counted up to [`CATALOG_COUNT_LIMIT`]; `more` says there are more than that.
    pub total: i64,
    pub more: bool,
    pub page: i64,
    pub pages: i64,
}

/// A SKU as customers see it: the regular price, and the promotional price while one runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogSku {
    pub code: String,
    pub attributes: String,
    pub price: i64,
    pub promo_price: Option<i64>,
    pub promo_ends_at: Option<i64>,
    pub in_stock: bool,
}

/// A listed product as customers see it: no cost, no internal notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogProduct {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    /// (code, attributes, price, available)
    pub skus: Vec<CatalogSku>,
    pub images: Vec<images::ProductImage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sku(code: &str, price: &str) -> SkuInput {
        SkuInput { code: code.into(), attributes: "".into(), price: price.into(), cost: "1".into(), reorder_point: "5".into() }
    }

    fn input() -> ProductInput {
        ProductInput {
            title: "Green tea 绿茶".into(),
            description: "Spring harvest".into(),
            category_id: None,
            tags: "Tea， gift, tea".into(),
            estimated_stock: "100".into(),
            skus: vec![sku("tea-100g", "38.00"), sku("TEA-250G", "88")],
        }
    }

    #[test]
    fn the_declaration_is_consistent() {
        LISTING.check().unwrap();
    }

    #[test]
    fn only_managers_approve_and_specialists_submit() {
        let pm = Role::ProductManager.default_permissions();
        let sp = Role::ProductSpecialist.default_permissions();
        let ids = |state, perms: &[Permission]| LISTING.available(state, perms).map(|a| a.id).collect::<Vec<_>>();
        assert_eq!(ids("submitted", &pm), ["approve", "return"]);
        assert!(ids("submitted", &sp).is_empty());
        assert_eq!(ids("draft", &sp), ["submit"]);
        assert_eq!(ids("returned", &sp), ["resubmit"]);
        assert_eq!(ids("listed", &pm), ["delist"]);
        assert_eq!(ids("delisted", &pm), ["relist"]);
        assert!(ids("listed", &sp).is_empty());
    }

    #[test]
    fn a_valid_form_is_normalised() {
        let v = input().validate().unwrap();
        assert_eq!(v.tags, ["tea", "gift"]);
        assert_eq!(v.skus[0].code, "TEA-100G");
        assert_eq!(v.skus[0].price, 3800);
        assert_eq!(v.min_price(), 3800);
        assert!(v.search_text().contains("绿茶") && v.search_text().contains("tea-250g"));
    }

    #[test]
    fn bad_forms_name_the_field_or_the_line() {
        let mut f = input();
        f.skus[1].price = "0".into();
        assert_eq!(f.validate().unwrap_err().field_message("skus").as_deref(), Some("line 2: price: must be greater than zero"));
        let mut f = input();
        f.skus[1].code = "tea-100g".into();
        assert!(f.validate().unwrap_err().field_message("skus").unwrap().contains("appears twice"));
        let mut f = input();
        f.skus.clear();
        assert!(f.validate().is_err());
        let mut f = input();
        f.estimated_stock = "-4".into();
        assert_eq!(f.validate().unwrap_err().field_message("estimated_stock").as_deref(), Some("must not be negative"));
        let mut f = input();
        f.title = " ".into();
        assert_eq!(f.validate().unwrap_err().field_message("title").as_deref(), Some("required"));
        let mut f = input();
        f.skus[0].code = "红茶".into();
        assert!(f.validate().is_err());
    }

    #[test]
    fn the_category_tree_is_depth_first() {
        let tree = category_tree(vec![
            (3, Some(1), "Green".into()),
            (1, None, "Tea".into()),
            (2, None, "Cups".into()),
            (4, Some(3), "Longjing".into()),
            (5, Some(99), "Orphan".into()),
        ]);
        let paths: Vec<_> = tree.iter().map(|c| (c.path.as_str(), c.depth)).collect();
        assert_eq!(paths, [("Cups", 0), ("Orphan", 0), ("Tea", 0), ("Tea / Green", 1), ("Tea / Green / Longjing", 2)]);
        let mut below = with_descendants(&tree, 1);
        below.sort();
        assert_eq!(below, [1, 3, 4]);
    }

    #[test]
    fn cjk_text_is_indexed_by_characters_and_pairs() {
        assert_eq!(cjk_grams("West Lake 龙井 tea 龙井茶"), " 龙 龙井 井 井茶 茶");
        assert_eq!(cjk_grams("no chinese"), " ");
        assert!(is_short_cjk("绿茶") && is_short_cjk("茶"));
        assert!(!is_short_cjk("铁观音") && !is_short_cjk("ab") && !is_short_cjk("绿a"));
    }

    #[test]
    fn search_terms_are_lower_cased_words() {
        assert_eq!(search_terms("  Green  绿茶 "), ["green", "绿茶"]);
        assert!(search_terms("   ").is_empty());
    }
}

/// When a price change needs a product manager, and when an applied price is abnormal.
/// Configured by SHOPFLOW_PRICE_CHANGE_LIMIT and SHOPFLOW_PRICE_ALERT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricePolicy {
    /// A change of more than this many percent of the current price needs approval.
    pub change_limit_pct: u32,
    /// An applied price more than this many percent away from the SKU's recent prices
    /// raises a price alert.
    pub alert_pct: u32,
}

impl Default for PricePolicy {
    fn default() -> Self {
        PricePolicy { change_limit_pct: 20, alert_pct: 30 }
    }
}

/// Why a price change must wait for a product manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApprovalReason {
    BeyondLimit,
    BelowCost,
}

impl ApprovalReason {
    pub fn key(self) -> &'static str {
        match self {
            ApprovalReason::BeyondLimit => "beyond_limit",
            ApprovalReason::BelowCost => "below_cost",
        }
    }
}

impl PricePolicy {
    /// `None` when the change may apply at once. Integer arithmetic: 20 % of 1,000 is exact.
    pub fn needs_approval(&self, old: i64, new: i64, cost: i64) -> Option<ApprovalReason> {
        if new < cost {
            return Some(ApprovalReason::BelowCost);
        }
        if (new - old).abs() * 100 > old * i64::from(self.change_limit_pct) {
            return Some(ApprovalReason::BeyondLimit);
        }
        None
    }

    /// Whether an applied price deviates abnormally from the average of the SKU's recent
    /// prices (none: nothing to compare with), or is under cost.
    pub fn abnormal(&self, new: i64, recent: &[i64], cost: i64) -> bool {
        if new < cost {
            return true;
        }
        if recent.is_empty() {
            return false;
        }
        let avg = recent.iter().sum::<i64>() / recent.len() as i64;
        avg > 0 && (new - avg).abs() * 100 > avg * i64::from(self.alert_pct)
    }
}

#[cfg(test)]
mod pricing_tests {
    use super::*;

    #[test]
    fn small_changes_apply_and_large_or_loss_making_ones_wait() {
        let p = PricePolicy::default();
        assert_eq!(p.needs_approval(10_000, 12_000, 5_000), None, "exactly 20 % is within the limit");
        assert_eq!(p.needs_approval(10_000, 12_001, 5_000), Some(ApprovalReason::BeyondLimit));
        assert_eq!(p.needs_approval(10_000, 7_999, 5_000), Some(ApprovalReason::BeyondLimit));
        assert_eq!(p.needs_approval(10_000, 9_500, 9_600), Some(ApprovalReason::BelowCost));
    }

    #[test]
    fn abnormal_prices_are_far_from_recent_ones_or_under_cost() {
        let p = PricePolicy::default();
        assert!(!p.abnormal(10_000, &[], 1));
        assert!(!p.abnormal(12_000, &[10_000, 9_000], 1));
        assert!(p.abnormal(13_000, &[10_000, 9_000], 1), "9,500 average, +37 %");
        assert!(p.abnormal(900, &[1_000], 950), "under cost");
    }
}

pub const REQUESTED: State = State { id: "requested", name: Text::new("Awaiting approval", "待审批"), terminal: false };
pub const APPROVED: State = State { id: "approved", name: Text::new("Approved and applied", "已批准并生效"), terminal: true };
pub const REJECTED: State = State { id: "rejected", name: Text::new("Rejected", "已驳回"), terminal: true };

/// The approval of a price change that is too large or under cost to apply at once.
pub const PRICE_APPROVALS: Workflow = Workflow {
    id: "price_approval",
    name: Text::new("Price change approval", "调价审批"),
    purpose: Text::new(
        "Large price moves and prices under cost are deliberate decisions of the product manager, never typing errors that reach customers.",
        "大幅调价和低于成本的定价必须是商品经理的明确决定，而不是流到客户面前的录入错误。",
    ),
    table: "price_approvals",
    states: &[REQUESTED, APPROVED, REJECTED],
    actions: &[
        Action {
            id: "request",
            label: Text::new("Request price change", "申请调价"),
            from: &[],
            to: REQUESTED,
            permission: Permission::PriceChange,
            owner: Role::ProductSpecialist,
            sla_hours: None,
            sop: Text::new(
                "A change beyond the allowed percentage, or a price under cost, is requested rather than applied: give the reason (supplier price, competitor, clearance) so the manager can decide quickly.",
                "超出允许幅度或低于成本的调价需申请而非直接生效：写明原因（供货价、竞品、清仓），便于经理快速决定。",
            ),
            form: &[Field { name: "reason", label: Text::new("Reason", "原因"), kind: FieldKind::LongText, required: true, max_chars: 500 }],
        },
        Action {
            id: "approve",
            label: Text::new("Approve and apply", "批准并生效"),
            from: &[REQUESTED],
            to: APPROVED,
            permission: Permission::PriceApprove,
            owner: Role::ProductManager,
            sla_hours: Some(24),
            sop: Text::new(
                "Within a working day: check the reason, the margin and open promotions; approving applies the price at once. You cannot approve your own request.",
                "一个工作日内：核对原因、毛利及进行中的促销；批准后价格立即生效。不能审批自己的申请。",
            ),
            form: &[COMMENT],
        },
        Action {
            id: "reject",
            label: Text::new("Reject", "驳回"),
            from: &[REQUESTED],
            to: REJECTED,
            permission: Permission::PriceApprove,
            owner: Role::ProductManager,
            sla_hours: Some(24),
            sop: Text::new(
                "Within a working day: reject with the reason; the price stays as it is.",
                "一个工作日内：驳回并写明原因，价格保持不变。",
            ),
            form: &[Field { name: "reason", label: Text::new("Reason", "原因"), kind: FieldKind::LongText, required: true, max_chars: 500 }],
        },
    ],
};

/// What happened to a requested price change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PriceOutcome {
    Applied,
    /// Waiting in the product manager's queue: the approval's id.
    AwaitingApproval(i64),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceChangeRow {
    pub sku: String,
    pub old_price: i64,
    pub new_price: i64,
    pub reason: String,
    pub changed_by: String,
    pub approved_by: Option<String>,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriceApproval {
    pub id: i64,
    pub product_id: i64,
    pub product: String,
    pub sku: String,
    pub old_price: i64,
    pub new_price: i64,
    pub cost: i64,
    pub reason: String,
    pub why: String,
    pub decision_note: Option<String>,
    pub state: String,
    pub version: i64,
    pub requested_by: String,
    pub requested_by_id: i64,
    pub created_at: i64,
    pub sla: SlaStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Promo {
    pub id: i64,
    pub sku: String,
    pub price: i64,
    pub regular_price: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub reason: String,
    pub created_by: String,
    pub cancelled: bool,
}

impl Promo {
    pub fn active_at(&self, now: i64) -> bool {
        !self.cancelled && self.starts_at <= now && now < self.ends_at
    }
}

/// The pricing panel of a product: history, open approvals, promotions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductPricing {
    pub history: Vec<PriceChangeRow>,
    pub approvals: Vec<PriceApproval>,
    pub promos: Vec<Promo>,
}

/// Parses the value of an `<input type="datetime-local">` (or "YYYY-MM-DD HH:MM") as UTC.
pub fn parse_utc_minute(field: &str, text: &str) -> AppResult<i64> {
    let t = text.trim().replace(' ', "T");
    chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S"))
        .map(|d| d.and_utc().timestamp_millis())
        .map_err(|_| AppError::invalid(field, "enter a date and time such as 2026-12-01 09:00"))
}
