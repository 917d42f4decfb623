//! Returns and exchanges: the customer asks for some lines of a delivered order back (with the
//! reason); customer service approves or rejects; the warehouse receives the parcel and
//! inspects it, restocking what can be sold again and scrapping the rest through the ledger;
//! customer service then hands the refund to finance, or sends the exchange. The confirmed
//! problem and the solution are recorded on every case, for later analysis.

use crate::catalog::parse_quantity;
use crate::domain::{required_text, AppError, AppResult, Permission, Role};
use crate::engine::{Action, AuditEvent, Field, FieldKind, SlaStatus, State, Text, Workflow};
use serde::{Deserialize, Serialize};

pub const REQUESTED: State = State { id: "requested", name: Text::new("Requested", "已申请"), terminal: false };
pub const APPROVED: State = State { id: "approved", name: Text::new("Approved, awaiting the parcel", "已同意，待寄回"), terminal: false };
pub const REJECTED: State = State { id: "rejected", name: Text::new("Rejected", "已拒绝"), terminal: true };
pub const RECEIVED: State = State { id: "received", name: Text::new("Received", "已收货"), terminal: false };
pub const INSPECTED: State = State { id: "inspected", name: Text::new("Inspected", "已质检"), terminal: false };
pub const REFUNDED: State = State { id: "refunded", name: Text::new("Refund handed to finance", "已转财务退款"), terminal: true };
pub const EXCHANGED: State = State { id: "exchanged", name: Text::new("Exchange sent", "已换货发出"), terminal: true };

/// Orders in these states have arrived and may be returned.
pub const RETURNABLE: &[&str] = &["delivered", "completed", "review_requested"];

pub const KINDS: &[(&str, Text)] = &[("return", Text::new("Return for a refund", "退货退款")), ("exchange", Text::new("Exchange", "换货"))];

pub const REASONS: &[(&str, Text)] = &[
    ("damaged", Text::new("Arrived damaged", "到货破损")),
    ("wrong_item", Text::new("Wrong item", "发错商品")),
    ("not_as_described", Text::new("Not as described", "与描述不符")),
    ("quality", Text::new("Quality problem", "质量问题")),
    ("changed_mind", Text::new("Changed my mind", "不想要了")),
];

pub fn choice_name(key: &str, lang: crate::i18n::Lang) -> String {
    KINDS.iter().chain(REASONS).find(|k| k.0 == key).map(|k| k.1.get(lang).to_string()).unwrap_or_else(|| key.to_string())
}

const SOLUTION: Field =
    Field { name: "solution", label: Text::new("Solution", "解决方案"), kind: FieldKind::LongText, required: true, max_chars: 1000 };

pub const RETURNS: Workflow = Workflow {
    id: "return",
    name: Text::new("Return or exchange", "退换货"),
    purpose: Text::new(
        "A customer who wants goods returned or exchanged gets an answer within a day, the goods are inspected before anything is refunded or resent, sellable goods go back into stock through the ledger, and the problem and its solution are kept for analysis.",
        "客户申请退换货一天内得到答复；退回商品先质检再退款或换货；可再售商品经库存流水回库；问题与解决方案留档分析。",
    ),
    table: "return_cases",
    states: &[REQUESTED, APPROVED, REJECTED, RECEIVED, INSPECTED, REFUNDED, EXCHANGED],
    actions: &[
        Action {
            id: "request",
            label: Text::new("Ask for a return or exchange", "申请退换货"),
            from: &[],
            to: REQUESTED,
            permission: Permission::OrderPlace,
            owner: Role::Customer,
            sla_hours: None,
            sop: Text::new(
                "The customer chooses the lines and quantities of a delivered order, return or exchange, the reason, and describes the problem.",
                "客户选择已签收订单中要退换的商品和数量、退货或换货、原因，并描述问题。",
            ),
            form: &[],
        },
        Action {
            id: "file_for_customer",
            label: Text::new("File a return for the customer", "代客户申请退换货"),
            from: &[],
            to: REQUESTED,
            permission: Permission::TicketHandle,
            owner: Role::ServiceAgent,
            sla_hours: None,
            sop: Text::new(
                "When a customer asks on the phone or by mail, the agent files the request from the customer's ticket about the order: the lines, return or exchange, the reason and the problem in the customer's words, with their photos. The ticket notes the case, and the case is reviewed like any other.",
                "客户来电或来信要求退换货时，客服在该订单的工单中代为提交：商品与数量、退货或换货、原因，用客户的话描述问题，可附照片。工单记录该申请，审核流程与客户自助申请相同。",
            ),
            form: &[],
        },
        Action {
            id: "approve",
            label: Text::new("Approve", "同意"),
            from: &[REQUESTED],
            to: APPROVED,
            permission: Permission::ReturnReview,
            owner: Role::ServiceAgent,
            sla_hours: Some(24),
            sop: Text::new(
                "Within a day: check the order, the reason and the return window; approve and tell the customer where to send the parcel.",
                "一天内：核对订单、原因和退换期限；同意后告知客户寄回地址。",
            ),
            form: &[Field { name: "note", label: Text::new("Instructions for the customer", "给客户的说明"), kind: FieldKind::LongText, required: true, max_chars: 500 }],
        },
        Action {
            id: "reject",
            label: Text::new("Reject", "拒绝"),
            from: &[REQUESTED],
            to: REJECTED,
            permission: Permission::ReturnReview,
            owner: Role::ServiceAgent,
            sla_hours: Some(24),
            sop: Text::new("Reject only with a reason the customer can understand (outside the window, a used item).", "拒绝时须写明客户能理解的原因（超出期限、已使用等）。"),
            form: &[Field { name: "reason", label: Text::new("Reason", "原因"), kind: FieldKind::LongText, required: true, max_chars: 500 }],
        },
        Action {
            id: "receive",
            label: Text::new("Parcel received", "确认收货"),
            from: &[APPROVED],
            to: RECEIVED,
            permission: Permission::ReturnReceive,
            owner: Role::WarehouseStaff,
            sla_hours: Some(168),
            sop: Text::new("When the customer's parcel arrives: check it against the case and record its arrival.", "客户寄回的包裹到达时：对照退换单核对并登记收货。"),
            form: &[Field { name: "note", label: Text::new("Note", "备注"), kind: FieldKind::LongText, required: false, max_chars: 500 }],
        },
        Action {
            id: "inspect",
            label: Text::new("Inspect", "质检"),
            from: &[RECEIVED],
            to: INSPECTED,
            permission: Permission::ReturnReceive,
            owner: Role::WarehouseStaff,
            sla_hours: Some(24),
            sop: Text::new(
                "Within a day of arrival: inspect every unit; restock what can be sold again (it goes back to its warehouse through the ledger) and scrap the rest. Write the problem you confirmed.",
                "到货一天内：逐件质检；可再售的回库（经库存流水回到原仓库），其余报废。写明确认的问题。",
            ),
            form: &[Field { name: "problem", label: Text::new("Confirmed problem", "确认的问题"), kind: FieldKind::LongText, required: true, max_chars: 1000 }],
        },
        Action {
            id: "refund",
            label: Text::new("Hand the refund to finance", "转财务退款"),
            from: &[INSPECTED],
            to: REFUNDED,
            permission: Permission::ReturnReview,
            owner: Role::ServiceAgent,
            sla_hours: Some(24),
            sop: Text::new("For a return: the returned lines' price goes to finance for refund. Record the solution.", "退货：退回商品的金额转财务退款，并记录解决方案。"),
            form: &[SOLUTION],
        },
        Action {
            id: "exchange",
            label: Text::new("Send the exchange", "发出换货"),
            from: &[INSPECTED],
            to: EXCHANGED,
            permission: Permission::ReturnReview,
            owner: Role::ServiceAgent,
            sla_hours: Some(24),
            sop: Text::new(
                "For an exchange: the same goods leave the warehouse again to the customer; record the tracking number and the solution.",
                "换货：同款商品从仓库重新发给客户，记录运单号和解决方案。",
            ),
            form: &[
                Field { name: "tracking_number", label: Text::new("Tracking number", "运单号"), kind: FieldKind::Text, required: true, max_chars: 40 },
                SOLUTION,
            ],
        },
    ],
};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReturnLineInput {
    pub order_line_id: i64,
    pub quantity: String,
}

/// The customer's request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReturnRequest {
    pub order_id: i64,
    pub kind: String,
    pub reason: String,
    pub description: String,
    pub lines: Vec<ReturnLineInput>,
    /// Pictures of the goods, uploaded beforehand.
    #[serde(default)]
    pub photos: Vec<i64>,
    /// Filed by an agent: the customer's ticket about this order, which notes the case.
    #[serde(default)]
    pub ticket_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidReturn {
    pub kind: String,
    pub reason: String,
    pub description: String,
    /// (order line, quantity), quantities above zero.
    pub lines: Vec<(i64, i64)>,
}

impl ReturnRequest {
    pub fn validate(&self) -> AppResult<ValidReturn> {
        // In the order of the form: the lines first.
        let mut lines = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            let q = if l.quantity.trim().is_empty() { 0 } else { parse_quantity("quantity", &l.quantity, 999).map_err(|e| e.at_line("lines", i + 1))? };
            if q > 0 {
                lines.push((l.order_line_id, q));
            }
        }
        if lines.is_empty() {
            return Err(AppError::invalid("lines", "choose at least one item to send back"));
        }
        if !KINDS.iter().any(|k| k.0 == self.kind) {
            return Err(AppError::invalid("kind", "choose return or exchange"));
        }
        if !REASONS.iter().any(|k| k.0 == self.reason) {
            return Err(AppError::invalid("reason", "choose one of the options"));
        }
        let description = required_text("description", &self.description, 1000)?;
        Ok(ValidReturn { kind: self.kind.clone(), reason: self.reason.clone(), description, lines })
    }
}

/// What inspection found for one returned line: units to restock and units to scrap.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReturnInspection {
    pub line_id: i64,
    pub restock: String,
    pub scrap: String,
}

impl ReturnInspection {
    /// Every returned unit is either restocked or scrapped.
    pub fn validate(&self, line_no: usize, returned: i64) -> AppResult<(i64, i64)> {
        let at = |e: AppError| e.at_line("lines", line_no);
        let restock = parse_quantity("restock", &self.restock, 999).map_err(at)?;
        let scrap = if self.scrap.trim().is_empty() { 0 } else { parse_quantity("scrap", &self.scrap, 999).map_err(at)? };
        if restock + scrap != returned {
            return Err(at(AppError::invalid("restock", "restocked and scrapped units must add up to the units returned")));
        }
        Ok((restock, scrap))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnLine {
    pub id: i64,
    pub sku: String,
    pub title: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub restocked: Option<i64>,
    pub scrapped: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnCase {
    pub id: i64,
    pub order_id: i64,
    pub customer: String,
    pub kind: String,
    pub reason: String,
    pub description: String,
    pub problem: Option<String>,
    pub solution: Option<String>,
    /// What the customer was told at approval or rejection.
    pub answer: Option<String>,
    pub refund_amount: Option<i64>,
    pub tracking_number: Option<String>,
    pub state: String,
    pub version: i64,
    pub created_at: i64,
    pub sla: SlaStatus,
    pub lines: Vec<ReturnLine>,
    /// The customer's pictures (on a case's own page and the customer's order page).
    #[serde(default)]
    pub photos: Vec<crate::attachments::Attachment>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnDetail {
    pub case: ReturnCase,
    pub events: Vec<AuditEvent>,
    pub actions: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declaration_is_consistent() {
        RETURNS.check().unwrap();
    }

    #[test]
    fn a_request_needs_a_kind_a_reason_a_description_and_a_line() {
        let ok = ReturnRequest {
            order_id: 1,
            kind: "return".into(),
            reason: "damaged".into(),
            description: "The lid is cracked".into(),
            lines: vec![ReturnLineInput { order_line_id: 7, quantity: "1".into() }, ReturnLineInput { order_line_id: 8, quantity: "".into() }],
            ..Default::default()
        };
        assert_eq!(ok.validate().unwrap().lines, vec![(7, 1)]);
        let with = |f: &dyn Fn(&mut ReturnRequest)| {
            let mut r = ok.clone();
            f(&mut r);
            r.validate().unwrap_err()
        };
        assert!(with(&|r| r.kind = "keep".into()).field_message("kind").is_some());
        assert!(with(&|r| r.reason = "".into()).field_message("reason").is_some());
        assert!(with(&|r| r.description = " ".into()).field_message("description").is_some());
        assert!(with(&|r| r.lines[0].quantity = "0".into()).field_message("lines").is_some());
        assert!(with(&|r| r.lines[0].quantity = "-1".into()).field_message("lines").is_some());
    }

    #[test]
    fn inspected_units_add_up() {
        let i = |r: &str, s: &str| ReturnInspection { line_id: 1, restock: r.into(), scrap: s.into() };
        assert_eq!(i("2", "1").validate(1, 3).unwrap(), (2, 1));
        assert_eq!(i("3", "").validate(1, 3).unwrap(), (3, 0));
        assert!(i("2", "").validate(1, 3).unwrap_err().field_message("lines").unwrap().contains("add up"));
        assert!(i("", "3").validate(1, 3).is_err(), "restock is required, even when zero");
    }
}
