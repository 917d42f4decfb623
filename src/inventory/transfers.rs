//! Transfers between warehouses: requested → shipped (stock leaves the source) → received
//! (stock arrives at the destination). Between the two the goods are in transit and in
//! neither warehouse's available stock; what does not arrive is a shortfall with a reason.

use crate::catalog::parse_quantity;
use crate::domain::{optional_text, AppError, AppResult, Permission, Role};
use crate::engine::{Action, AuditEvent, Field, FieldKind, SlaStatus, State, Text, Workflow};
use serde::{Deserialize, Serialize};

pub const REQUESTED: State = State { id: "requested", name: Text::new("Requested", "已申请"), terminal: false };
pub const IN_TRANSIT: State = State { id: "in_transit", name: Text::new("In transit", "在途"), terminal: false };
pub const RECEIVED: State = State { id: "received", name: Text::new("Received", "已收货"), terminal: true };
pub const CANCELLED: State = State { id: "cancelled", name: Text::new("Cancelled", "已取消"), terminal: true };

pub const TRANSFERS: Workflow = Workflow {
    id: "transfer",
    name: Text::new("Stock transfer", "调拨"),
    purpose: Text::new(
        "Stock moves between warehouses only with a document: the sending warehouse ships exactly what the transfer lists, the receiving warehouse counts what arrived, and every missing unit has a named reason.",
        "库存在仓库之间移动必须有调拨单：发货仓按单发货，收货仓清点实收，每一件短少都写明原因。",
    ),
    table: "transfers",
    states: &[REQUESTED, IN_TRANSIT, RECEIVED, CANCELLED],
    actions: &[
        Action {
            id: "request",
            label: Text::new("Request transfer", "申请调拨"),
            from: &[],
            to: REQUESTED,
            permission: Permission::StockTransfer,
            owner: Role::WarehouseStaff,
            sla_hours: None,
            sop: Text::new(
                "When a warehouse runs short while another has spare stock: name the sending and the receiving warehouse and the quantity of each SKU.",
                "某仓缺货而他仓有余量时：写明发货仓、收货仓和每个 SKU 的调拨数量。",
            ),
            form: &[Field { name: "note", label: Text::new("Note", "备注"), kind: FieldKind::LongText, required: false, max_chars: 1000 }],
        },
        Action {
            id: "ship",
            label: Text::new("Ship", "发货"),
            from: &[REQUESTED],
            to: IN_TRANSIT,
            permission: Permission::StockTransfer,
            owner: Role::WarehouseStaff,
            sla_hours: Some(24),
            sop: Text::new(
                "Within a day of the request: pick the listed quantities in the sending warehouse, pack them, and record the waybill. The stock leaves the sending warehouse when you ship.",
                "申请后一天内：在发货仓按单拣货、打包并登记运单号。发货即从发货仓扣减库存。",
            ),
            form: &[Field { name: "waybill", label: Text::new("Waybill / vehicle", "运单号/车辆"), kind: FieldKind::Text, required: true, max_chars: 60 }],
        },
        Action {
            id: "receive",
            label: Text::new("Record receipt", "登记收货"),
            from: &[IN_TRANSIT],
            to: RECEIVED,
            permission: Permission::StockTransfer,
            owner: Role::WarehouseStaff,
            sla_hours: Some(72),
            sop: Text::new(
                "When the goods arrive: count every line and record what arrived. Name the reason of every missing unit (lost, damaged in transit); shortfalls are reported to the warehouse's alert inbox.",
                "到货时：逐行清点并登记实收数量；每一件短少都写明原因（丢失、运输破损），短少会进入仓库预警。",
            ),
            form: &[Field { name: "note", label: Text::new("Note", "备注"), kind: FieldKind::LongText, required: false, max_chars: 1000 }],
        },
        Action {
            id: "cancel",
            label: Text::new("Cancel", "取消"),
            from: &[REQUESTED],
            to: CANCELLED,
            permission: Permission::StockTransfer,
            owner: Role::WarehouseStaff,
            sla_hours: None,
            sop: Text::new("Cancel a transfer that is no longer needed before it ships; say why.", "发货前不再需要的调拨可取消，并写明原因。"),
            form: &[Field { name: "reason", label: Text::new("Reason", "原因"), kind: FieldKind::LongText, required: true, max_chars: 1000 }],
        },
    ],
};

/// One line of a transfer request as the form submits it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TransferLineInput {
    pub sku: String,
    pub quantity: String,
}

/// What arrived of one shipped line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArrivalInput {
    pub line_id: i64,
    pub received: String,
    pub shortfall_reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidArrival {
    pub line_id: i64,
    pub received: i64,
    pub shortfall_reason: Option<String>,
}

impl ArrivalInput {
    /// At most what was shipped arrives (more would be stock from nowhere); anything less
    /// needs a reason.
    pub fn validate(&self, line_no: usize, shipped: i64) -> AppResult<ValidArrival> {
        let at = |e: AppError| e.at_line("lines", line_no);
        let received = parse_quantity("received", &self.received, 1_000_000).map_err(at)?;
        if received > shipped {
            return Err(at(AppError::invalid("received", "more than was shipped; register the surplus as a receipt")));
        }
        let shortfall_reason = optional_text("shortfall_reason", &self.shortfall_reason, 300).map_err(at)?;
        if received < shipped && shortfall_reason.is_none() {
            return Err(at(AppError::invalid("shortfall_reason", "say why units are missing")));
        }
        Ok(ValidArrival { line_id: self.line_id, received, shortfall_reason: if received < shipped { shortfall_reason } else { None } })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferLine {
    pub id: i64,
    pub sku_id: i64,
    pub sku: String,
    pub product: String,
    pub quantity: i64,
    pub received: Option<i64>,
    pub shortfall_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    pub id: i64,
    pub from_warehouse: String,
    pub to_warehouse: String,
    pub note: Option<String>,
    pub waybill: Option<String>,
    pub state: String,
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub sla: SlaStatus,
    pub lines: Vec<TransferLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransferDetail {
    pub transfer: Transfer,
    pub events: Vec<AuditEvent>,
    pub actions: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declaration_is_consistent() {
        TRANSFERS.check().unwrap();
    }

    #[test]
    fn arrivals_never_exceed_what_was_shipped_and_shortfalls_need_a_reason() {
        let a = |r: &str, why: &str| ArrivalInput { line_id: 1, received: r.into(), shortfall_reason: why.into() };
        assert_eq!(a("5", "").validate(1, 5).unwrap().received, 5);
        assert!(a("6", "").validate(1, 5).unwrap_err().field_message("lines").unwrap().contains("more than was shipped"));
        assert!(a("4", " ").validate(2, 5).unwrap_err().field_message("lines").unwrap().starts_with("line 2: shortfall_reason"));
        assert_eq!(a("4", "one box crushed").validate(1, 5).unwrap().shortfall_reason.as_deref(), Some("one box crushed"));
        // A reason given for a complete line is not kept: there is no shortfall to explain.
        assert_eq!(a("5", "fine").validate(1, 5).unwrap().shortfall_reason, None);
        assert!(a("-1", "x").validate(1, 5).is_err());
        assert!(a("", "x").validate(1, 5).is_err());
    }
}
