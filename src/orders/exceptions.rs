//! Shipping exceptions: a parcel that is late, damaged, lost or refused. Logistics reports it
//! against the order and the parcel, investigates with the carrier, and resolves it with a
//! replacement parcel, a refund, a compensation, or by confirming it arrived after all. The
//! customer reads what they are told at every step on their order page.

use crate::domain::{Permission, Role};
use crate::engine::{Action, AuditEvent, Field, FieldKind, SlaStatus, State, Text, Workflow};
use serde::{Deserialize, Serialize};

pub const REPORTED: State = State { id: "reported", name: Text::new("Reported", "已登记"), terminal: false };
pub const INVESTIGATING: State = State { id: "investigating", name: Text::new("Investigating", "调查中"), terminal: false };
pub const RESOLVED: State = State { id: "resolved", name: Text::new("Resolved", "已解决"), terminal: true };

pub const KINDS: &[(&str, Text)] = &[
    ("delay", Text::new("Delayed", "延误")),
    ("damage", Text::new("Damaged", "破损")),
    ("loss", Text::new("Lost", "丢失")),
    ("refused", Text::new("Refused by the recipient", "拒收")),
];

pub const RESOLUTIONS: &[(&str, Text)] = &[
    ("reship", Text::new("Replacement sent", "补发")),
    ("refund", Text::new("Refunded", "退款")),
    ("compensate", Text::new("Compensated", "赔付")),
    ("arrived", Text::new("Arrived after all", "包裹已送达")),
];

const CUSTOMER_NOTE: Field = Field {
    name: "customer_note",
    label: Text::new("What the customer is told", "告知客户的内容"),
    kind: FieldKind::LongText,
    required: true,
    max_chars: 500,
};

/// What is known when an exception is reported, by logistics or by an agent for the customer.
const REPORT_FORM: &[Field] = &[
    Field { name: "kind", label: Text::new("Kind", "类型"), kind: FieldKind::Choice(KINDS), required: true, max_chars: 20 },
    Field { name: "description", label: Text::new("What happened", "情况说明"), kind: FieldKind::LongText, required: true, max_chars: 1000 },
    CUSTOMER_NOTE,
];

pub const EXCEPTIONS: Workflow = Workflow {
    id: "shipping_exception",
    name: Text::new("Shipping exception", "物流异常"),
    purpose: Text::new(
        "A parcel that is late, damaged, lost or refused is owned by logistics from the moment it is known until the customer has their goods or their money, and the customer is told what happens at every step.",
        "包裹延误、破损、丢失或被拒收时，从发现起由物流负责，直到客户收到货物或款项，并且每一步都告知客户。",
    ),
    table: "shipping_exceptions",
    states: &[REPORTED, INVESTIGATING, RESOLVED],
    actions: &[
        Action {
            id: "report",
            label: Text::new("Report exception", "登记异常"),
            from: &[],
            to: REPORTED,
            permission: Permission::ExceptionHandle,
            owner: Role::LogisticsCoordinator,
            sla_hours: None,
            sop: Text::new(
                "As soon as a carrier, the tracking or the customer shows a parcel is late, damaged, lost or refused: report it against the parcel, describe what is known, and write what the customer is told.",
                "一旦承运商、物流轨迹或客户反映包裹延误、破损、丢失或拒收：针对该包裹登记异常，写明已知情况及告知客户的内容。",
            ),
            form: REPORT_FORM,
        },
        Action {
            id: "report_for_customer",
            label: Text::new("Report an exception for the customer", "代客户登记物流异常"),
            from: &[],
            to: REPORTED,
            permission: Permission::TicketHandle,
            owner: Role::ServiceAgent,
            sla_hours: None,
            sop: Text::new(
                "When a customer calls or writes that a parcel is late, damaged, lost or refused, the agent reports it from the customer's open ticket about the order: the parcel, what happened in the customer's words, and what the customer is told. The ticket notes the exception, logistics is told, and the exception is investigated and resolved like any other.",
                "客户来电或来信反映包裹延误、破损、丢失或拒收时，客服在该订单的未结工单中代为登记：选择包裹，用客户的话写明情况及告知客户的内容。工单记录该异常并通知物流，之后的调查与处理与其他异常相同。",
            ),
            form: REPORT_FORM,
        },
        Action {
            id: "investigate",
            label: Text::new("Start investigation", "开始调查"),
            from: &[REPORTED],
            to: INVESTIGATING,
            permission: Permission::ExceptionHandle,
            owner: Role::LogisticsCoordinator,
            sla_hours: Some(4),
            sop: Text::new(
                "Within four hours: open a claim with the carrier, note its reference and when it will answer.",
                "四小时内：向承运商发起查询或索赔，记录查询编号及承运商答复时间。",
            ),
            form: &[Field { name: "note", label: Text::new("Claim with the carrier", "承运商查询记录"), kind: FieldKind::LongText, required: true, max_chars: 1000 }],
        },
        Action {
            id: "resolve",
            label: Text::new("Resolve", "处理完成"),
            from: &[INVESTIGATING],
            to: RESOLVED,
            permission: Permission::ExceptionHandle,
            owner: Role::LogisticsCoordinator,
            sla_hours: Some(48),
            sop: Text::new(
                "Within two days: send a replacement (the goods leave the same warehouse again; give the new tracking number), refund or compensate (the amount goes to finance), or confirm the parcel arrived. Tell the customer.",
                "两天内：补发（从原仓库再次出库，填写新运单号）、退款或赔付（金额转财务），或确认包裹已送达，并告知客户。",
            ),
            form: &[
                Field { name: "resolution", label: Text::new("Resolution", "处理方式"), kind: FieldKind::Choice(RESOLUTIONS), required: true, max_chars: 20 },
                Field { name: "amount", label: Text::new("Amount (refund, compensation)", "金额（退款、赔付）"), kind: FieldKind::Money, required: false, max_chars: 14 },
                Field { name: "replacement_tracking", label: Text::new("Replacement tracking number", "补发运单号"), kind: FieldKind::Text, required: false, max_chars: 40 },
                CUSTOMER_NOTE,
            ],
        },
    ],
};

impl ShippingException {
    /// "SF Express SF1020000002" in the interface language.
    pub fn parcel(&self, lang: crate::i18n::Lang) -> String {
        format!("{} {}", self.carrier.get(lang), self.tracking_number)
    }
}

pub fn kind_name(key: &str, lang: crate::i18n::Lang) -> String {
    KINDS.iter().chain(RESOLUTIONS).find(|k| k.0 == key).map(|k| k.1.get(lang).to_string()).unwrap_or_else(|| key.to_string())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShippingException {
    pub id: i64,
    pub order_id: i64,
    pub shipment_id: i64,
    /// The parcel's carrier and tracking number.
    pub carrier: crate::logistics::Name,
    pub tracking_number: String,
    pub kind: String,
    /// Internal: what happened (empty for customers).
    pub description: String,
    pub customer_note: String,
    pub resolution: Option<String>,
    pub amount: Option<i64>,
    pub replacement_tracking: Option<String>,
    pub state: String,
    pub version: i64,
    pub created_at: i64,
    pub sla: SlaStatus,
    /// The customer's ticket it was reported from by an agent (staff only).
    #[serde(default)]
    pub ticket_id: Option<i64>,
    /// The audit trail (empty for customers) and the steps this user may take.
    pub events: Vec<AuditEvent>,
    pub actions: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declaration_is_consistent() {
        EXCEPTIONS.check().unwrap();
    }

    #[test]
    fn an_agent_reports_for_the_customer_with_the_same_form_as_logistics() {
        let report = EXCEPTIONS.action("report").unwrap();
        let for_customer = EXCEPTIONS.action("report_for_customer").unwrap();
        assert!(report.creates() && for_customer.creates());
        assert_eq!(for_customer.form, report.form);
        assert_eq!(for_customer.to, REPORTED);
        assert_eq!((for_customer.permission, for_customer.owner), (Permission::TicketHandle, Role::ServiceAgent));
        // Agents take no step on an open exception: those stay with logistics.
        for state in [REPORTED, INVESTIGATING] {
            assert_eq!(EXCEPTIONS.available(state.id, &Role::ServiceAgent.default_permissions()).count(), 0, "{}", state.id);
        }
        let form = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let told = crate::engine::validate_form(for_customer, &form(&[("kind", "loss"), ("description", "Customer says nothing arrived")])).unwrap_err();
        assert!(told.field_message("customer_note").is_some());
        let ok = crate::engine::validate_form(for_customer, &form(&[("kind", "loss"), ("description", " Nothing arrived "), ("customer_note", "We asked the carrier.")]));
        assert_eq!(ok.unwrap()["description"], "Nothing arrived");
    }

    #[test]
    fn choices_and_money_are_checked_by_the_form() {
        let resolve = EXCEPTIONS.action("resolve").unwrap();
        let form = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let ok = crate::engine::validate_form(resolve, &form(&[("resolution", "refund"), ("amount", "12.50"), ("customer_note", "Refunded.")]));
        assert_eq!(ok.unwrap()["resolution"], "refund");
        let bad = crate::engine::validate_form(resolve, &form(&[("resolution", "shrug"), ("customer_note", "x")])).unwrap_err();
        assert_eq!(bad.field_message("resolution").as_deref(), Some("choose one of the options"));
        let bad = crate::engine::validate_form(resolve, &form(&[("resolution", "refund"), ("amount", "lots"), ("customer_note", "x")])).unwrap_err();
        assert!(bad.field_message("amount").is_some());
    }
}
