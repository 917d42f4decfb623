//! Inventory across warehouses. Stock is a ledger: every change is one movement with who,
//! why and a reference, and the balance (on hand, reserved) of a SKU in a warehouse is the
//! sum of its movements, kept in the same transaction. Inbound receipts are a declared
//! workflow (register → count and inspect → post); reservations are the API orders use.

pub mod api;
pub mod counts;
#[cfg(feature = "ssr")]
pub mod operations;
pub mod operation_pages;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
pub mod transfers;

use crate::catalog::{parse_quantity, parse_sku_code};
use crate::domain::{AppError, AppResult, Permission, Role};
use crate::engine::{Action, AuditEvent, Field, FieldKind, SlaStatus, State, Text, Workflow};
use serde::{Deserialize, Serialize};

/// What a movement does to the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MovementKind {
    /// Accepted goods of an inbound receipt: on hand up.
    Receipt,
    /// Held for an order: reserved up (on hand unchanged; available down).
    Reserve,
    /// A hold given back: reserved down.
    Release,
    /// A held quantity leaves the warehouse (picked): on hand and reserved down.
    Commit,
    /// A counted correction, up or down: on hand changes by the signed quantity.
    Adjust,
    TransferOut,
    TransferIn,
    /// Customer return restocked.
    Return,
}

impl MovementKind {
    pub const ALL: &'static [MovementKind] = &[
        MovementKind::Receipt,
        MovementKind::Reserve,
        MovementKind::Release,
        MovementKind::Commit,
        MovementKind::Adjust,
        MovementKind::TransferOut,
        MovementKind::TransferIn,
        MovementKind::Return,
    ];

    pub fn key(self) -> &'static str {
        match self {
            MovementKind::Receipt => "receipt",
            MovementKind::Reserve => "reserve",
            MovementKind::Release => "release",
            MovementKind::Commit => "commit",
            MovementKind::Adjust => "adjust",
            MovementKind::TransferOut => "transfer_out",
            MovementKind::TransferIn => "transfer_in",
            MovementKind::Return => "return",
        }
    }

    pub fn from_key(k: &str) -> Option<MovementKind> {
        Self::ALL.iter().copied().find(|m| m.key() == k)
    }

    /// (on-hand delta, reserved delta) of a movement of `quantity` units. Only adjustments
    /// are signed; every other kind takes a positive quantity.
    pub fn deltas(self, quantity: i64) -> AppResult<(i64, i64)> {
        if quantity == 0 || (quantity < 0 && self != MovementKind::Adjust) {
            return Err(AppError::invalid("quantity", "must be greater than zero"));
        }
        Ok(match self {
            MovementKind::Receipt | MovementKind::TransferIn | MovementKind::Return => (quantity, 0),
            MovementKind::Reserve => (0, quantity),
            MovementKind::Release => (0, -quantity),
            MovementKind::Commit => (-quantity, -quantity),
            MovementKind::Adjust => (quantity, 0),
            MovementKind::TransferOut => (-quantity, 0),
        })
    }
}

/// The stock of one SKU in one warehouse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    pub on_hand: i64,
    pub reserved: i64,
}

impl Balance {
    pub fn available(&self) -> i64 {
        self.on_hand - self.reserved
    }

    /// The balance after a movement, or why it cannot happen: nothing may go below zero and
    /// no more may be reserved than is on hand (that would be an oversell).
    pub fn apply(self, kind: MovementKind, quantity: i64) -> AppResult<Balance> {
        let (dh, dr) = kind.deltas(quantity)?;
        let next = Balance { on_hand: self.on_hand + dh, reserved: self.reserved + dr };
        if next.reserved < 0 {
            return Err(AppError::Conflict("more released than is reserved".into()));
        }
        if next.on_hand < next.reserved {
            return Err(AppError::Conflict(format!("not enough stock: {} available", self.available())));
        }
        Ok(next)
    }
}

pub const REGISTERED: State = State { id: "registered", name: Text::new("Registered", "已登记"), terminal: false };
pub const INSPECTED: State = State { id: "inspected", name: Text::new("Inspected", "已质检"), terminal: false };
pub const POSTED: State = State { id: "posted", name: Text::new("Posted to stock", "已入账"), terminal: true };
pub const CANCELLED: State = State { id: "cancelled", name: Text::new("Cancelled", "已取消"), terminal: true };

pub const RECEIPTS: Workflow = Workflow {
    id: "receipt",
    name: Text::new("Inbound receipt", "入库验收"),
    purpose: Text::new(
        "Goods become available for sale only after they have been counted and inspected; rejected goods never reach stock, and every unit posted can be traced to a delivery.",
        "货物须经清点和质检后才可销售；不合格品绝不入账，每一件入库商品都可追溯到到货单。",
    ),
    table: "receipts",
    states: &[REGISTERED, INSPECTED, POSTED, CANCELLED],
    actions: &[
        Action {
            id: "register",
            label: Text::new("Register receipt", "登记入库单"),
            from: &[],
            to: REGISTERED,
            permission: Permission::ReceiptRegister,
            owner: Role::WarehouseStaff,
            sla_hours: None,
            sop: Text::new(
                "When a delivery is announced or arrives: register the supplier, their delivery note or purchase order number, the receiving warehouse and the expected quantity of each SKU.",
                "到货通知或到货时：登记供应商、送货单或采购单号、收货仓库及每个 SKU 的应到数量。",
            ),
            form: &[
                Field { name: "supplier", label: Text::new("Supplier", "供应商"), kind: FieldKind::Text, required: true, max_chars: 120 },
                Field { name: "reference", label: Text::new("Delivery note / PO", "送货单/采购单号"), kind: FieldKind::Text, required: true, max_chars: 60 },
                Field { name: "note", label: Text::new("Note", "备注"), kind: FieldKind::LongText, required: false, max_chars: 1000 },
            ],
        },
        Action {
            id: "inspect",
            label: Text::new("Record count and inspection", "记录清点与质检"),
            from: &[REGISTERED],
            to: INSPECTED,
            permission: Permission::ReceiptInspect,
            owner: Role::WarehouseStaff,
            sla_hours: Some(24),
            sop: Text::new(
                "Within a day of arrival: count every line, inspect the goods, and split what arrived into accepted and rejected; name the defect of every rejected unit and keep rejected goods apart.",
                "到货一天内：逐行清点并质检，把实收数量分为合格与不合格；写明不合格原因，不合格品单独存放。",
            ),
            form: &[Field { name: "note", label: Text::new("Inspection note", "质检备注"), kind: FieldKind::LongText, required: false, max_chars: 1000 }],
        },
        Action {
            id: "post",
            label: Text::new("Post to stock", "合格品入账"),
            from: &[INSPECTED],
            to: POSTED,
            permission: Permission::ReceiptPost,
            owner: Role::WarehouseStaff,
            sla_hours: Some(4),
            sop: Text::new(
                "Within four hours of inspection: shelve the accepted goods and post them; they become available for orders at once. Rejected goods go back to the supplier.",
                "质检后四小时内：合格品上架并入账，立即可供订单使用；不合格品退回供应商。",
            ),
            form: &[],
        },
        Action {
            id: "cancel",
            label: Text::new("Cancel", "取消"),
            from: &[REGISTERED],
            to: CANCELLED,
            permission: Permission::ReceiptRegister,
            owner: Role::WarehouseStaff,
            sla_hours: None,
            sop: Text::new(
                "Cancel a receipt whose delivery will not come (or was registered twice); say why.",
                "送货取消或重复登记时取消入库单，并写明原因。",
            ),
            form: &[Field { name: "reason", label: Text::new("Reason", "原因"), kind: FieldKind::LongText, required: true, max_chars: 1000 }],
        },
    ],
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warehouse {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub address: String,
    pub active: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WarehouseInput {
    pub code: String,
    pub name: String,
    pub address: String,
}

impl WarehouseInput {
    pub fn validate(&self) -> AppResult<WarehouseInput> {
        let code = parse_sku_code("code", &self.code)?;
        if code.len() > 12 {
            return Err(AppError::invalid("code", "at most 12 characters"));
        }
        Ok(WarehouseInput {
            code,
            name: crate::domain::required_text("name", &self.name, 80)?,
            address: crate::domain::required_text("address", &self.address, 300)?,
        })
    }
}

/// One expected line of a receipt as the form submits it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReceiptLineInput {
    pub sku: String,
    pub expected: String,
}

/// Validates expected lines: SKU codes well-formed and not repeated, quantities 1..=1,000,000.
pub fn validate_receipt_lines(lines: &[ReceiptLineInput]) -> AppResult<Vec<(String, i64)>> {
    validate_sku_lines(lines.iter().map(|l| (l.sku.as_str(), l.expected.as_str())), "expected")
}

/// Lines of (SKU code, quantity) as a form submits them (receipts, transfers): at least one
/// and at most 200, codes well-formed and not repeated, quantities 1..=1,000,000. An error
/// names the line and its field.
pub fn validate_sku_lines<'a>(
    lines: impl ExactSizeIterator<Item = (&'a str, &'a str)>,
    quantity_field: &str,
) -> AppResult<Vec<(String, i64)>> {
    if lines.len() == 0 {
        return Err(AppError::invalid("lines", "add at least one line"));
    }
    if lines.len() > 200 {
        return Err(AppError::invalid("lines", "at most 200 lines"));
    }
    let mut out: Vec<(String, i64)> = Vec::new();
    for (i, (sku, quantity)) in lines.enumerate() {
        let at = |e: AppError| e.at_line("lines", i + 1);
        let code = parse_sku_code("sku", sku).map_err(at)?;
        if out.iter().any(|(c, _)| *c == code) {
            return Err(at(AppError::invalid("sku", "the same SKU code appears twice")));
        }
        let q = parse_quantity(quantity_field, quantity, 1_000_000).map_err(at)?;
        if q == 0 {
            return Err(at(AppError::invalid(quantity_field, "must be greater than zero")));
        }
        out.push((code, q));
    }
    Ok(out)
}

/// The count and inspection of one receipt line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LineInspection {
    pub line_id: i64,
    pub received: String,
    pub accepted: String,
    pub rejected: String,
    pub defect_reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidInspection {
    pub line_id: i64,
    pub received: i64,
    pub accepted: i64,
    pub rejected: i64,
    pub defect_reason: Option<String>,
}

impl LineInspection {
    /// What arrived is split into accepted and rejected, exactly; rejected units need a reason.
    pub fn validate(&self, line_no: usize) -> AppResult<ValidInspection> {
        let at = |e: AppError| e.at_line("lines", line_no);
        let received = parse_quantity("received", &self.received, 1_000_000).map_err(at)?;
        let accepted = parse_quantity("accepted", &self.accepted, 1_000_000).map_err(at)?;
        let rejected = if self.rejected.trim().is_empty() { 0 } else { parse_quantity("rejected", &self.rejected, 1_000_000).map_err(at)? };
        if accepted + rejected != received {
            return Err(at(AppError::invalid("received", "accepted and rejected must add up to received")));
        }
        let defect_reason = crate::domain::optional_text("defect_reason", &self.defect_reason, 300).map_err(at)?;
        if rejected > 0 && defect_reason.is_none() {
            return Err(at(AppError::invalid("defect_reason", "name the defect of the rejected goods")));
        }
        Ok(ValidInspection { line_id: self.line_id, received, accepted, rejected, defect_reason })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptLine {
    pub id: i64,
    pub sku_id: i64,
    pub sku: String,
    pub product: String,
    pub expected: i64,
    pub received: Option<i64>,
    pub accepted: Option<i64>,
    pub rejected: Option<i64>,
    pub defect_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub id: i64,
    pub warehouse: String,
    pub supplier: String,
    pub reference: String,
    pub note: Option<String>,
    pub state: String,
    pub version: i64,
    pub created_by: String,
    pub created_at: i64,
    pub sla: SlaStatus,
    pub lines: Vec<ReceiptLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReceiptDetail {
    pub receipt: Receipt,
    pub events: Vec<AuditEvent>,
    pub actions: Vec<String>,
}

/// A SKU's stock across warehouses, for the stock search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockRow {
    pub sku_id: i64,
    pub sku: String,
    pub product_id: i64,
    pub product: String,
    pub reorder_point: i64,
    pub on_hand: i64,
    pub reserved: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Movement {
    pub id: i64,
    pub warehouse: String,
    pub kind: String,
    pub quantity: i64,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    pub reference: String,
    pub reason: String,
    pub actor: Option<String>,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StockDetail {
    pub row: StockRow,
    /// (warehouse code, warehouse name, balance)
    pub warehouses: Vec<(String, String, Balance)>,
    /// Newest first.
    pub movements: Vec<Movement>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reservation {
    pub id: i64,
    pub sku: String,
    pub warehouse: String,
    pub quantity: i64,
    pub state: String,
    pub reference: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declaration_is_consistent() {
        RECEIPTS.check().unwrap();
    }

    #[test]
    fn the_ledger_never_oversells_or_goes_negative() {
        let b = Balance::default().apply(MovementKind::Receipt, 10).unwrap();
        let b = b.apply(MovementKind::Reserve, 7).unwrap();
        assert_eq!((b.on_hand, b.reserved, b.available()), (10, 7, 3));
        assert!(b.apply(MovementKind::Reserve, 4).is_err(), "only 3 are available");
        let b = b.apply(MovementKind::Commit, 5).unwrap();
        assert_eq!((b.on_hand, b.reserved), (5, 2));
        assert!(b.apply(MovementKind::Release, 3).is_err(), "only 2 are reserved");
        let b = b.apply(MovementKind::Release, 2).unwrap();
        assert!(b.apply(MovementKind::TransferOut, 6).is_err());
        assert!(b.apply(MovementKind::Adjust, -6).is_err());
        assert_eq!(b.apply(MovementKind::Adjust, -5).unwrap().on_hand, 0);
        assert!(b.apply(MovementKind::Receipt, 0).is_err());
        assert!(b.apply(MovementKind::Receipt, -1).is_err());
    }

    #[test]
    fn a_ledger_replayed_gives_the_balance() {
        // The balance is the sum of the deltas, whatever the order of kinds.
        let moves = [(MovementKind::Receipt, 20), (MovementKind::Reserve, 5), (MovementKind::TransferOut, 3), (MovementKind::Commit, 4), (MovementKind::Return, 1), (MovementKind::Adjust, -2)];
        let mut b = Balance::default();
        let (mut h, mut r) = (0, 0);
        for (k, q) in moves {
            b = b.apply(k, q).unwrap();
            let (dh, dr) = k.deltas(q).unwrap();
            h += dh;
            r += dr;
        }
        assert_eq!(b, Balance { on_hand: h, reserved: r });
        assert_eq!(b, Balance { on_hand: 12, reserved: 1 });
    }

    #[test]
    fn inspections_must_add_up_and_name_defects() {
        let l = |r: &str, a: &str, j: &str, why: &str| LineInspection { line_id: 1, received: r.into(), accepted: a.into(), rejected: j.into(), defect_reason: why.into() };
        assert_eq!(l("10", "8", "2", "crushed box").validate(1).unwrap().accepted, 8);
        assert!(l("10", "8", "1", "x").validate(1).unwrap_err().field_message("lines").unwrap().contains("add up"));
        assert!(l("10", "8", "2", "").validate(3).unwrap_err().field_message("lines").unwrap().starts_with("line 3: defect_reason"));
        assert!(l("-1", "0", "0", "").validate(1).is_err());
        assert_eq!(l("0", "0", "", "").validate(1).unwrap().received, 0);
    }

    #[test]
    fn receipt_lines_are_checked() {
        let line = |s: &str, q: &str| ReceiptLineInput { sku: s.into(), expected: q.into() };
        assert_eq!(validate_receipt_lines(&[line("tea-1", "5")]).unwrap(), [("TEA-1".to_string(), 5)]);
        assert!(validate_receipt_lines(&[]).is_err());
        assert!(validate_receipt_lines(&[line("tea-1", "0")]).is_err());
        assert!(validate_receipt_lines(&[line("tea-1", "2"), line("TEA-1", "3")]).is_err());
        assert!(validate_receipt_lines(&[line("tea-1", "1000000000")]).is_err());
    }
}
