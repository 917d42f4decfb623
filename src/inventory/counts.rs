//! Stock counts: a warehouse counts some or all of its SKUs (blind: the counter does not see
//! the book quantity), every difference needs a reason, and the differences are posted to the
//! ledger as adjustments. A count whose differences are worth more than a threshold, or that
//! moves more units on a line than a threshold, waits for a manager's approval, and the
//! manager is never the one who counted.

use crate::catalog::parse_quantity;
use crate::domain::{optional_text, AppError, AppResult, Permission, Role};
use crate::engine::{Action, AuditEvent, Field, FieldKind, SlaStatus, State, Text, Workflow};
use serde::{Deserialize, Serialize};

pub const COUNTING: State = State { id: "counting", name: Text::new("Counting", "盘点中"), terminal: false };
pub const COUNTED: State = State { id: "counted", name: Text::new("Counted", "已盘点"), terminal: false };
pub const POSTED: State = State { id: "posted", name: Text::new("Adjusted", "已调整"), terminal: true };
pub const CANCELLED: State = State { id: "cancelled", name: Text::new("Cancelled", "已取消"), terminal: true };

pub const COUNTS: Workflow = Workflow {
    id: "stock_count",
    name: Text::new("Stock count and adjustment", "盘点与库存调整"),
    purpose: Text::new(
        "The books must match the shelves: stock is counted regularly, every difference is explained, and large corrections are approved by a manager before they change the stock.",
        "账实必须相符：定期盘点，每一处差异都要说明原因，较大的调整须经经理批准后才能改变库存。",
    ),
    table: "stock_counts",
    states: &[COUNTING, COUNTED, POSTED, CANCELLED],
    actions: &[
        Action {
            id: "start",
            label: Text::new("Start a count", "开始盘点"),
            from: &[],
            to: COUNTING,
            permission: Permission::StockCount,
            owner: Role::WarehouseStaff,
            sla_hours: None,
            sop: Text::new(
                "Choose the warehouse and the SKUs to count (none listed: every SKU the warehouse holds). Count when the shelves are quiet, or note the picks made while counting.",
                "选择仓库及要盘点的 SKU（不填则盘点该仓全部 SKU）。尽量在无作业时盘点，或记录盘点期间的拣货。",
            ),
            form: &[Field { name: "note", label: Text::new("Note", "备注"), kind: FieldKind::LongText, required: false, max_chars: 1000 }],
        },
        Action {
            id: "record",
            label: Text::new("Record the count", "登记盘点结果"),
            from: &[COUNTING],
            to: COUNTED,
            permission: Permission::StockCount,
            owner: Role::WarehouseStaff,
            sla_hours: Some(24),
            sop: Text::new(
                "Within a day: enter the quantity found on the shelf for every line, without looking at the books. Where it differs from the books, say why (damage, loss, mis-pick, receiving error).",
                "一天内：逐行填写货架上的实盘数量，不参照账面。与账面不符的行写明原因（损坏、丢失、错拣、收货差错）。",
            ),
            form: &[],
        },
        Action {
            id: "post",
            label: Text::new("Post adjustments", "过账调整"),
            from: &[COUNTED],
            to: POSTED,
            permission: Permission::StockCount,
            owner: Role::WarehouseStaff,
            sla_hours: Some(4),
            sop: Text::new(
                "Differences within the threshold are posted by the warehouse: the books take the counted quantities at once. Larger ones go to a manager.",
                "阈值内的差异由仓库直接过账，账面立即改为实盘数量；超出阈值的提交经理审批。",
            ),
            form: &[],
        },
        Action {
            id: "approve",
            label: Text::new("Approve and post", "批准并过账"),
            from: &[COUNTED],
            to: POSTED,
            permission: Permission::StockAdjustApprove,
            owner: Role::OperationsManager,
            sla_hours: Some(24),
            sop: Text::new(
                "Within a day: check the reasons of large differences (recount a sample if in doubt) and approve; the adjustments are posted. You cannot approve a count you recorded.",
                "一天内：核实大额差异的原因（存疑时抽样复盘）后批准，调整随即过账。不能批准自己登记的盘点。",
            ),
            form: &[Field { name: "note", label: Text::new("Note", "备注"), kind: FieldKind::LongText, required: false, max_chars: 1000 }],
        },
        Action {
            id: "recount",
            label: Text::new("Send back for recount", "退回复盘"),
            from: &[COUNTED],
            to: COUNTING,
            permission: Permission::StockCount,
            owner: Role::WarehouseStaff,
            sla_hours: None,
            sop: Text::new("When a difference looks wrong, send the count back and count again; say what to check.", "差异可疑时退回重新盘点，并写明要核对的内容。"),
            form: &[Field { name: "reason", label: Text::new("What to check", "复盘要点"), kind: FieldKind::LongText, required: true, max_chars: 1000 }],
        },
        Action {
            id: "cancel",
            label: Text::new("Cancel", "取消"),
            from: &[COUNTING],
            to: CANCELLED,
            permission: Permission::StockCount,
            owner: Role::WarehouseStaff,
            sla_hours: None,
            sop: Text::new("Cancel a count that will not be finished; say why.", "无法完成的盘点可取消，并写明原因。"),
            form: &[Field { name: "reason", label: Text::new("Reason", "原因"), kind: FieldKind::LongText, required: true, max_chars: 1000 }],
        },
    ],
};

/// When a count's differences need a manager (from the environment, see `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountPolicy {
    /// Total value at cost of all differences, in minor units, above which approval is needed.
    pub approval_value: i64,
    /// A difference of more than this many units on any one line needs approval.
    pub approval_units: i64,
}

impl Default for CountPolicy {
    fn default() -> Self {
        CountPolicy { approval_value: 50_000, approval_units: 20 }
    }
}

/// The differences of a recorded count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Differences {
    /// Sum of |counted − book| over the lines.
    pub units: i64,
    /// Largest |counted − book| of one line.
    pub largest_line: i64,
    /// Sum of |counted − book| × unit cost, in minor units.
    pub value: i64,
}

impl Differences {
    /// From (book, counted, unit cost) per line.
    pub fn of(lines: impl IntoIterator<Item = (i64, i64, i64)>) -> Differences {
        lines.into_iter().fold(Differences::default(), |d, (book, counted, cost)| {
            let diff = (counted - book).abs();
            Differences { units: d.units + diff, largest_line: d.largest_line.max(diff), value: d.value.saturating_add(diff.saturating_mul(cost)) }
        })
    }

    pub fn need_approval(&self, policy: &CountPolicy) -> bool {
        self.value > policy.approval_value || self.largest_line > policy.approval_units
    }
}

/// What was found on the shelf for one line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CountEntry {
    pub line_id: i64,
    pub counted: String,
    pub reason: String,
}

impl CountEntry {
    /// The counted quantity, and the reason where it differs from the book quantity.
    pub fn validate(&self, line_no: usize, book: i64) -> AppResult<(i64, Option<String>)> {
        let at = |e: AppError| e.at_line("lines", line_no);
        let counted = parse_quantity("counted", &self.counted, 10_000_000).map_err(at)?;
        let reason = optional_text("reason", &self.reason, 300).map_err(at)?;
        if counted != book && reason.is_none() {
            return Err(at(AppError::invalid("reason", "the count differs from the books: say why")));
        }
        Ok((counted, if counted != book { reason } else { None }))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountLine {
    pub id: i64,
    pub sku_id: i64,
    pub sku: String,
    pub product: String,
    /// On hand in the books when the count was recorded; hidden while counting.
    pub book: Option<i64>,
    pub counted: Option<i64>,
    pub reason: Option<String>,
    pub unit_cost: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockCount {
    pub id: i64,
    pub warehouse: String,
    pub note: Option<String>,
    pub state: String,
    pub version: i64,
    pub created_by: String,
    pub counted_by_id: Option<i64>,
    pub counted_by: Option<String>,
    pub created_at: i64,
    pub sla: SlaStatus,
    pub lines: Vec<CountLine>,
    pub differences: Differences,
    /// Whether posting needs a manager (meaningful once counted).
    pub needs_approval: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountDetail {
    pub count: StockCount,
    pub events: Vec<AuditEvent>,
    pub actions: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declaration_is_consistent() {
        COUNTS.check().unwrap();
    }

    #[test]
    fn differences_in_value_or_units_beyond_the_threshold_need_a_manager() {
        let policy = CountPolicy { approval_value: 10_000, approval_units: 5 };
        let d = Differences::of([(10, 8, 1_000), (4, 5, 2_000), (7, 7, 99_999)]);
        assert_eq!(d, Differences { units: 3, largest_line: 2, value: 4_000 });
        assert!(!d.need_approval(&policy));
        // Worth more than ¥100.00 in total.
        assert!(Differences::of([(10, 0, 1_001)]).need_approval(&CountPolicy { approval_units: 100, ..policy }));
        // Six units on one line, even of a free item.
        assert!(Differences::of([(0, 6, 0)]).need_approval(&policy));
        assert!(!Differences::of([(0, 5, 0)]).need_approval(&policy));
    }

    #[test]
    fn a_difference_needs_a_reason() {
        let e = |c: &str, why: &str| CountEntry { line_id: 1, counted: c.into(), reason: why.into() };
        assert_eq!(e("7", "").validate(1, 7).unwrap(), (7, None));
        assert!(e("6", "").validate(3, 7).unwrap_err().field_message("lines").unwrap().starts_with("line 3: reason"));
        assert_eq!(e("6", "broken").validate(1, 7).unwrap(), (6, Some("broken".into())));
        assert_eq!(e("7", "no change").validate(1, 7).unwrap(), (7, None));
        assert!(e("-1", "x").validate(1, 7).is_err());
        assert!(e("seven", "x").validate(1, 7).is_err());
    }
}
