//! The customer-service desk: every inquiry, complaint and suggestion — filed in the portal or
//! logged by an agent from a phone call — is a ticket handled by one declared procedure: triage
//! (type, category, priority, owner, the order it is about), work with public replies and
//! internal notes, questions to the customer (the ticket waits on them), escalation to a senior
//! agent or to another department, and resolution with the handbook's four facts (the
//! confirmed problem, the root cause, the solution, the customer's feedback). The customer may
//! reopen a resolved ticket by replying within a window, and answers a satisfaction survey once.

#[cfg(feature = "ssr")]
pub mod service;
pub mod api;
pub mod calendar_page;
pub mod dashboard;
pub mod dashboard_page;
pub mod desk_pages;
#[cfg(feature = "ssr")]
pub mod email;
pub mod import_page;
pub mod knowledge;
#[cfg(feature = "ssr")]
pub mod notices;
pub mod pages;
pub mod replies_page;
pub mod sla;
#[cfg(feature = "ssr")]
pub mod survey_link;

use crate::domain::{required_text, AppError, AppResult, Department, Permission, Role};
use crate::engine::{Action, AuditEvent, Field, FieldKind, SlaStatus, State, Text, Workflow, STAY};
use crate::i18n::Lang;
use serde::{Deserialize, Serialize};

pub const NEW: State = State { id: "new", name: Text::new("New", "新建"), terminal: false };
pub const TRIAGED: State = State { id: "triaged", name: Text::new("Triaged", "已分类"), terminal: false };
pub const IN_PROGRESS: State = State { id: "in_progress", name: Text::new("In progress", "处理中"), terminal: false };
pub const WAITING: State = State { id: "waiting", name: Text::new("Waiting on the customer", "等待客户回复"), terminal: false };
pub const RESOLVED: State = State { id: "resolved", name: Text::new("Resolved", "已解决"), terminal: false };
pub const CLOSED: State = State { id: "closed", name: Text::new("Closed", "已关闭"), terminal: true };

/// States in which a ticket is still being worked on.
pub const OPEN: &[State] = &[NEW, TRIAGED, IN_PROGRESS, WAITING];

pub const KINDS: &[(&str, Text)] = &[
    ("inquiry", Text::new("Inquiry", "咨询")),
    ("complaint", Text::new("Complaint", "投诉")),
    ("suggestion", Text::new("Suggestion", "建议")),
];

pub const CATEGORIES: &[(&str, Text)] = &[
    ("order_status", Text::new("Order status", "订单状态")),
    ("delivery", Text::new("Delivery", "配送")),
    ("product", Text::new("Product", "商品")),
    ("payment_refund", Text::new("Payment or refund", "支付与退款")),
    ("return_exchange", Text::new("Return or exchange", "退换货")),
    ("account", Text::new("Account", "账户")),
    ("other", Text::new("Other", "其他")),
];

/// Most urgent first: the queue sorts by this order.
pub const PRIORITIES: &[(&str, Text)] = &[
    ("urgent", Text::new("Urgent", "紧急")),
    ("high", Text::new("High", "高")),
    ("normal", Text::new("Normal", "普通")),
    ("low", Text::new("Low", "低")),
];

/// Root causes, each owned by the process (and department) that has to change so the problem
/// does not come back: the dashboard counts them to show where complaints come from.
pub const ROOT_CAUSES: &[(&str, Text, Option<Department>)] = &[
    ("product_quality", Text::new("Product quality", "商品质量"), Some(Department::Product)),
    ("listing_mismatch", Text::new("Listing does not match the product", "商品描述不符"), Some(Department::Product)),
    ("picking_error", Text::new("Wrong or missing item packed", "错发漏发"), Some(Department::Warehouse)),
    ("transit_damage", Text::new("Damaged in transit", "运输破损"), Some(Department::Logistics)),
    ("late_delivery", Text::new("Late delivery", "配送延误"), Some(Department::Logistics)),
    ("payment_refund", Text::new("Payment or refund", "支付或退款问题"), Some(Department::Finance)),
    ("service_process", Text::new("Our service process", "客服流程问题"), Some(Department::Service)),
    ("customer_misunderstanding", Text::new("Customer misunderstanding", "客户误解"), None),
    ("other", Text::new("Other", "其他"), None),
];

/// Where an agent can send a ticket for help: a senior agent, or another department.
pub const ESCALATION_TARGETS: &[(&str, Text)] = &[
    ("senior", Text::new("Senior agent", "高级客服")),
    ("warehouse", Text::new("Warehouse", "仓储部")),
    ("logistics", Text::new("Logistics", "物流部")),
    ("finance", Text::new("Finance", "财务部")),
    ("product", Text::new("Product", "商品部")),
];

const ROOT_CAUSE_CHOICES: &[(&str, Text)] = &[
    ("product_quality", ROOT_CAUSES[0].1),
    ("listing_mismatch", ROOT_CAUSES[1].1),
    ("picking_error", ROOT_CAUSES[2].1),
    ("transit_damage", ROOT_CAUSES[3].1),
    ("late_delivery", ROOT_CAUSES[4].1),
    ("payment_refund", ROOT_CAUSES[5].1),
    ("service_process", ROOT_CAUSES[6].1),
    ("customer_misunderstanding", ROOT_CAUSES[7].1),
    ("other", ROOT_CAUSES[8].1),
];

pub const CHANNELS: &[(&str, Text)] = &[
    ("portal", Text::new("Portal", "在线")),
    ("email", Text::new("Email", "邮件")),
    ("phone", Text::new("Phone", "电话")),
];

/// The label of any of the ticket's keys (kind, category, priority, root cause, channel,
/// escalation target) in the interface language.
pub fn label(key: &str, lang: Lang) -> String {
    KINDS
        .iter()
        .chain(CATEGORIES)
        .chain(PRIORITIES)
        .chain(ROOT_CAUSE_CHOICES)
        .chain(CHANNELS)
        .chain(ESCALATION_TARGETS)
        .find(|k| k.0 == key)
        .map(|k| k.1.get(lang).to_string())
        .unwrap_or_else(|| key.to_string())
}

/// The department whose process a root cause points at.
pub fn root_cause_department(key: &str) -> Option<Department> {
    ROOT_CAUSES.iter().find(|r| r.0 == key).and_then(|r| r.2)
}

pub const MESSAGE_CHARS: usize = 4000;

const MESSAGE: Field =
    Field { name: "message", label: Text::new("Message to the customer", "给客户的回复"), kind: FieldKind::LongText, required: true, max_chars: MESSAGE_CHARS };

pub const TICKETS: Workflow = Workflow {
    id: "ticket",
    name: Text::new("Customer-service ticket", "客服工单"),
    purpose: Text::new(
        "Every inquiry, complaint and suggestion, whatever the channel, has one owner, a first answer within the hour, an escalation path to senior agents and other departments, and ends with the confirmed problem, its root cause, the solution and the customer's feedback recorded — then a satisfaction survey.",
        "所有渠道的咨询、投诉和建议都有唯一负责人，一小时内首次回复，可升级至高级客服或其他部门，结案时记录确认的问题、根本原因、解决方案和客户反馈，并发送满意度调查。",
    ),
    table: "tickets",
    states: &[NEW, TRIAGED, IN_PROGRESS, WAITING, RESOLVED, CLOSED],
    actions: &[
        Action {
            id: "open",
            label: Text::new("Open a ticket", "提交工单"),
            from: &[],
            to: NEW,
            permission: Permission::TicketOpen,
            owner: Role::Customer,
            sla_hours: None,
            sop: Text::new(
                "The customer writes in the portal (optionally about one of their orders), or an agent logs a phone call against the customer. The customer gets an acknowledgement with the ticket number.",
                "客户在门户提交（可关联本人订单），或客服将来电登记到客户名下。客户收到带工单号的受理确认。",
            ),
            form: &[],
        },
        Action {
            id: "triage",
            label: Text::new("Triage", "分类"),
            from: &[NEW],
            to: TRIAGED,
            permission: Permission::TicketHandle,
            owner: Role::ServiceAgent,
            sla_hours: Some(1),
            sop: Text::new(
                "Within the hour: confirm the type, choose the category and the priority (urgent: money lost or goods unusable; high: a complaint; normal: a question), link the order it is about, and name the owner.",
                "一小时内：确认类型，选择类别和优先级（紧急：资金损失或商品无法使用；高：投诉；普通：咨询），关联相关订单，指定负责人。",
            ),
            form: &[
                Field { name: "kind", label: Text::new("Type", "类型"), kind: FieldKind::Choice(KINDS), required: true, max_chars: 20 },
                Field { name: "category", label: Text::new("Category", "类别"), kind: FieldKind::Choice(CATEGORIES), required: true, max_chars: 20 },
                Field { name: "priority", label: Text::new("Priority", "优先级"), kind: FieldKind::Choice(PRIORITIES), required: true, max_chars: 20 },
                Field { name: "order", label: Text::new("Order number", "订单号"), kind: FieldKind::Text, required: false, max_chars: 12 },
                Field { name: "assignee", label: Text::new("Owner (empty: me)", "负责人（留空为本人）"), kind: FieldKind::Staff, required: false, max_chars: 12 },
            ],
        },
        Action {
            id: "start",
            label: Text::new("Start work", "开始处理"),
            from: &[TRIAGED],
            to: IN_PROGRESS,
            permission: Permission::TicketHandle,
            owner: Role::ServiceAgent,
            // The first answer's target at normal priority (see the table of targets by priority).
            sla_hours: Some(4),
            sop: Text::new(
                "Read the customer's history beside the ticket (orders, earlier tickets) and the knowledge base before answering.",
                "回复前先查看工单旁的客户历史（订单、以往工单）和知识库。",
            ),
            form: &[],
        },
        Action {
            id: "reply",
            label: Text::new("Reply to the customer", "回复客户"),
            from: &[TRIAGED, IN_PROGRESS],
            to: STAY,
            permission: Permission::TicketHandle,
            owner: Role::ServiceAgent,
            sla_hours: None,
            sop: Text::new(
                "Answer in plain words: what we found, what happens next and when. The customer reads it in the portal and by email.",
                "用通俗的话回复：查明了什么、下一步做什么、何时完成。客户可在门户和邮件中看到。",
            ),
            form: &[MESSAGE],
        },
        Action {
            id: "ask",
            label: Text::new("Ask the customer", "向客户询问"),
            from: &[IN_PROGRESS],
            to: WAITING,
            permission: Permission::TicketHandle,
            owner: Role::ServiceAgent,
            sla_hours: None,
            sop: Text::new(
                "When you need something from the customer (a photo, an address): ask one clear question. The SLA clock stops until they answer.",
                "需要客户提供信息（照片、地址等）时：提出一个明确的问题。客户回复前 SLA 计时暂停。",
            ),
            form: &[MESSAGE],
        },
        Action {
            id: "customer_reply",
            label: Text::new("Customer writes", "客户留言"),
            from: &[NEW, TRIAGED, IN_PROGRESS],
            to: STAY,
            permission: Permission::TicketOpen,
            owner: Role::Customer,
            sla_hours: None,
            sop: Text::new("The customer adds to the conversation in the portal, or an agent logs what they said on the phone.", "客户在门户补充留言，或客服登记客户来电内容。"),
            form: &[],
        },
        Action {
            id: "customer_answer",
            label: Text::new("Customer answers", "客户回复"),
            from: &[WAITING],
            to: IN_PROGRESS,
            permission: Permission::TicketOpen,
            owner: Role::Customer,
            sla_hours: None,
            sop: Text::new("The customer's answer puts the ticket back in progress with its owner.", "客户回复后，工单回到负责人处继续处理。"),
            form: &[],
        },
        Action {
            id: "note",
            label: Text::new("Internal note", "内部备注"),
            from: &[NEW, TRIAGED, IN_PROGRESS, WAITING, RESOLVED],
            to: STAY,
            permission: Permission::TicketHandle,
            owner: Role::ServiceAgent,
            sla_hours: None,
            sop: Text::new("Notes are for colleagues only; the customer never sees them.", "备注仅同事可见，客户看不到。"),
            form: &[Field { name: "note", label: Text::new("Note (not shown to the customer)", "备注（客户不可见）"), kind: FieldKind::LongText, required: true, max_chars: MESSAGE_CHARS }],
        },
        Action {
            id: "assign",
            label: Text::new("Assign", "指派"),
            from: &[NEW, TRIAGED, IN_PROGRESS, WAITING],
            to: STAY,
            permission: Permission::TicketHandle,
            owner: Role::ServiceAgent,
            sla_hours: None,
            sop: Text::new("Give the ticket to the colleague who will own it to the end.", "将工单交给会负责到底的同事。"),
            form: &[Field { name: "assignee", label: Text::new("New owner", "新负责人"), kind: FieldKind::Staff, required: true, max_chars: 12 }],
        },
        Action {
            id: "escalate",
            label: Text::new("Escalate", "升级"),
            from: &[TRIAGED, IN_PROGRESS, WAITING],
            to: STAY,
            permission: Permission::TicketHandle,
            owner: Role::ServiceAgent,
            sla_hours: None,
            sop: Text::new(
                "When you cannot solve it yourself: hand it to a senior agent (they become the owner), or ask another department one precise question — it lands in their queue and their answer comes back here.",
                "无法独立解决时：转交高级客服（由其接手），或向其他部门提出一个明确的问题——问题进入该部门队列，答复会回到本工单。",
            ),
            form: &[
                Field { name: "to", label: Text::new("Escalate to", "升级给"), kind: FieldKind::Choice(ESCALATION_TARGETS), required: true, max_chars: 20 },
                Field { name: "question", label: Text::new("What is needed", "需要什么"), kind: FieldKind::LongText, required: true, max_chars: 2000 },
            ],
        },
        Action {
            id: "department_answer",
            label: Text::new("Department answers", "部门答复"),
            from: &[TRIAGED, IN_PROGRESS, WAITING],
            to: STAY,
            permission: Permission::TicketTaskAnswer,
            owner: Role::AnyStaff,
            sla_hours: None,
            sop: Text::new(
                "The department that was asked answers within a working day; the answer appears on the ticket for its owner.",
                "被询问的部门在一个工作日内答复；答复显示在工单上，供负责人查看。",
            ),
            form: &[],
        },
        Action {
            id: "resolve",
            label: Text::new("Resolve", "解决"),
            from: &[IN_PROGRESS, WAITING],
            to: RESOLVED,
            permission: Permission::TicketHandle,
            owner: Role::ServiceAgent,
            // The resolution target at normal priority, in business hours.
            sla_hours: Some(40),
            sop: Text::new(
                "When every question to other departments is answered: record the problem you confirmed, its root cause, the solution and what the customer said about it, and tell the customer. They get a satisfaction survey.",
                "其他部门的问题都已答复后：记录确认的问题、根本原因、解决方案及客户对方案的反馈，并告知客户。客户会收到满意度调查。",
            ),
            form: &[
                Field { name: "problem", label: Text::new("Confirmed problem", "确认的问题"), kind: FieldKind::LongText, required: true, max_chars: 1000 },
                Field { name: "root_cause", label: Text::new("Root cause", "根本原因"), kind: FieldKind::Choice(ROOT_CAUSE_CHOICES), required: true, max_chars: 30 },
                Field { name: "solution", label: Text::new("Solution", "解决方案"), kind: FieldKind::LongText, required: true, max_chars: 1000 },
                Field { name: "customer_feedback", label: Text::new("Customer's feedback", "客户反馈"), kind: FieldKind::LongText, required: true, max_chars: 1000 },
                MESSAGE,
            ],
        },
        Action {
            id: "reopen",
            label: Text::new("Customer reopens", "客户重新打开"),
            from: &[RESOLVED],
            to: IN_PROGRESS,
            permission: Permission::TicketOpen,
            owner: Role::Customer,
            sla_hours: None,
            sop: Text::new("A customer who replies within the reopen window reopens the ticket with its owner.", "客户在可重开期限内回复，工单重新打开并回到负责人处。"),
            form: &[],
        },
        Action {
            id: "merge",
            label: Text::new("Merge into another ticket", "合并到其他工单"),
            from: &[NEW, TRIAGED, IN_PROGRESS, WAITING],
            to: CLOSED,
            permission: Permission::TicketHandle,
            owner: Role::ServiceAgent,
            sla_hours: None,
            sop: Text::new(
                "A duplicate of another open ticket of the same customer is merged into it: its conversation is copied there and it closes.",
                "同一客户的重复工单合并到另一未结工单：对话复制过去，本工单关闭。",
            ),
            form: &[Field { name: "into", label: Text::new("Ticket number to keep", "保留的工单号"), kind: FieldKind::Text, required: true, max_chars: 12 }],
        },
        Action {
            id: "close",
            label: Text::new("Close", "关闭"),
            from: &[RESOLVED],
            to: CLOSED,
            permission: Permission::TicketHandle,
            owner: Role::ServiceAgent,
            sla_hours: None,
            sop: Text::new(
                "A resolved ticket closes by itself when the reopen window has passed; an agent may close it earlier when the customer confirms.",
                "已解决的工单在可重开期限过后自动关闭；客户确认后客服也可提前关闭。",
            ),
            form: &[],
        },
    ],
};

/// A new ticket. Customers file their own; an agent logging a phone call names the customer
/// by email.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketInput {
    pub kind: String,
    pub subject: String,
    pub message: String,
    /// An order of the customer's, or empty.
    #[serde(default)]
    pub order: String,
    /// Staff only: the caller's email.
    #[serde(default)]
    pub customer_email: String,
    /// Files uploaded for the first message.
    #[serde(default)]
    pub attachments: Vec<i64>,
}

/// A ticket input after validation.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidTicket {
    pub kind: String,
    pub subject: String,
    pub message: String,
    pub order: Option<i64>,
}

impl TicketInput {
    pub fn validate(&self) -> AppResult<ValidTicket> {
        if !KINDS.iter().any(|k| k.0 == self.kind) {
            return Err(AppError::invalid("kind", "choose one of the options"));
        }
        Ok(ValidTicket {
            kind: self.kind.clone(),
            subject: required_text("subject", &self.subject, 200)?,
            message: parse_message("message", &self.message)?,
            order: parse_order_number("order", &self.order)?,
        })
    }
}

/// A message body: required, at most [`MESSAGE_CHARS`] characters.
pub fn parse_message(field: &str, body: &str) -> AppResult<String> {
    required_text(field, body, MESSAGE_CHARS)
}

/// An order number as typed ("#12" or "12"); empty is none.
pub fn parse_order_number(field: &str, value: &str) -> AppResult<Option<i64>> {
    let v = value.trim().trim_start_matches('#');
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<i64>().ok().filter(|n| *n > 0).map(Some).ok_or_else(|| AppError::invalid(field, "an order number, such as 12"))
}

/// The customer's answer to the satisfaction survey.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SurveyInput {
    pub ticket_id: i64,
    pub score: String,
    #[serde(default)]
    pub comment: String,
}

impl SurveyInput {
    pub fn validate(&self) -> AppResult<(i64, String)> {
        let score = self.score.trim().parse::<i64>().ok().filter(|s| (1..=5).contains(s)).ok_or_else(|| AppError::invalid("score", "choose 1 to 5"))?;
        let comment = crate::domain::optional_text("comment", &self.comment, 1000)?.unwrap_or_default();
        Ok((score, comment))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketSummary {
    pub id: i64,
    pub subject: String,
    pub kind: String,
    pub channel: String,
    pub category: Option<String>,
    pub priority: String,
    pub customer_id: Option<i64>,
    pub customer: String,
    pub assignee_id: Option<i64>,
    pub assignee: Option<String>,
    pub order_id: Option<i64>,
    /// Questions to other departments not answered yet.
    pub open_tasks: i64,
    pub state: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub sla: SlaStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketMessage {
    pub id: i64,
    /// "Shopflow" for staff when the customer reads it.
    pub author: String,
    pub from_customer: bool,
    /// Internal notes and department answers; never sent to the customer.
    pub internal: bool,
    pub channel: String,
    pub body: String,
    pub at: i64,
    pub attachments: Vec<crate::attachments::Attachment>,
}

/// A question escalated to another department, and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketTask {
    pub id: i64,
    pub ticket_id: i64,
    pub ticket_subject: String,
    pub ticket_version: i64,
    pub department: String,
    pub question: String,
    pub asked_by: String,
    pub asked_at: i64,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Survey {
    pub sent_at: i64,
    pub score: Option<i64>,
    pub comment: Option<String>,
    pub answered_at: Option<i64>,
}

/// What the desk shows beside a ticket: the customer's recent orders and earlier tickets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerHistory {
    pub email: String,
    /// (id, state, total, created_at)
    pub orders: Vec<(i64, String, i64, i64)>,
    /// (id, subject, state, created_at)
    pub tickets: Vec<(i64, String, String, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub ticket: TicketSummary,
    /// The service-level clocks in business hours (staff only).
    pub clocks: Option<sla::TicketSla>,
    /// The handbook's facts, filled on resolution (staff only, except the solution).
    pub problem: Option<String>,
    pub root_cause: Option<String>,
    pub solution: Option<String>,
    pub customer_feedback: Option<String>,
    pub merged_into: Option<i64>,
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
    /// Until when the customer may reopen it by replying (resolved tickets).
    pub reopen_until: Option<i64>,
    pub messages: Vec<TicketMessage>,
    pub tasks: Vec<TicketTask>,
    pub survey: Option<Survey>,
    pub history: CustomerHistory,
    /// The shipping exceptions agents reported from this ticket (staff only): (id, order,
    /// kind, state).
    #[serde(default)]
    pub exceptions: Vec<(i64, i64, String, String)>,
    pub events: Vec<AuditEvent>,
    /// The steps this user may take now.
    pub actions: Vec<String>,
    /// When the server read it: what the page's countdowns count from.
    pub served_at: i64,
}

/// The desk's queue, with the server's clock so countdowns read the same on every screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketQueue {
    pub now: i64,
    pub tickets: Vec<TicketSummary>,
}

/// "in 45 min", "2 h 10 min late": how long until (or since) an SLA is due.
pub fn countdown(due_at: i64, now: i64) -> (String, bool) {
    let minutes = (due_at - now).abs() / 60_000;
    let text = if minutes >= 60 { format!("{} h {} min", minutes / 60, minutes % 60) } else { format!("{minutes} min") };
    (text, due_at < now)
}

/// The desk's queue filter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueFilter {
    /// A state, "open" (default: every open state) or "all".
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub mine: bool,
    #[serde(default)]
    pub priority: String,
    /// A ticket number, or words of the subject or the customer's name or email.
    #[serde(default)]
    pub q: String,
}

/// The business calendar as its page shows it: the hours and each holiday's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarSettings {
    pub calendar: sla::Calendar,
    /// ("2026-10-01", "National Day")
    pub holidays: Vec<(String, String)>,
}

/// The calendar form: "+08:00", "09:00", "18:00", the working days (Monday first) and one
/// holiday per line ("2026-10-01 National Day").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CalendarInput {
    pub time_zone: String,
    pub opens: String,
    pub closes: String,
    pub workdays: Vec<bool>,
    #[serde(default)]
    pub holidays: String,
}

impl CalendarInput {
    pub fn validate(&self) -> AppResult<(sla::Calendar, Vec<(chrono::NaiveDate, String)>)> {
        let minutes = |field: &str, v: &str| -> AppResult<u32> {
            let (h, m) = v.trim().split_once(':').ok_or_else(|| AppError::invalid(field, "a time such as 09:00"))?;
            match (h.parse::<u32>(), m.parse::<u32>()) {
                (Ok(h), Ok(m)) if (h < 24 && m < 60) || (h == 24 && m == 0) => Ok(h * 60 + m),
                _ => Err(AppError::invalid(field, "a time such as 09:00")),
            }
        };
        let tz = self.time_zone.trim();
        let sign = if tz.starts_with('-') { -1 } else { 1 };
        let offset = minutes("time_zone", tz.trim_start_matches(['+', '-'])).map_err(|_| AppError::invalid("time_zone", "an offset such as +08:00"))?;
        if self.workdays.len() != 7 {
            return Err(AppError::invalid("workdays", "choose at least one working day"));
        }
        let mut holidays = Vec::new();
        for (n, line) in self.holidays.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
            let (day, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let day = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map_err(|_| AppError::invalid("holidays", &format!("line {}: a date such as 2026-10-01, then a name", n + 1)))?;
            holidays.push((day, name.trim().chars().take(100).collect()));
        }
        holidays.sort();
        holidays.dedup_by(|a, b| a.0 == b.0);
        let cal = sla::Calendar {
            tz_offset_minutes: sign * offset as i32,
            open_minute: minutes("opens", &self.opens)?,
            close_minute: minutes("closes", &self.closes)?,
            workdays: std::array::from_fn(|i| self.workdays[i]),
            holidays: holidays.iter().map(|h| h.0).collect(),
        };
        cal.validate().map_err(|e| match e {
            AppError::Invalid { field, message } if field == "hours" => AppError::invalid("closes", &message),
            e => e,
        })?;
        Ok((cal, holidays))
    }
}

/// What became of an inbound mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailOutcome {
    pub ticket_id: i64,
    /// A new ticket (else a message on an existing one).
    pub created: bool,
    /// Seen before (same Message-ID): nothing was added.
    pub duplicate: bool,
}

/// The ticket's reference in email subjects: replies quoting it land on the ticket.
pub fn reference(id: i64) -> String {
    format!("[Ticket #{id}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declaration_is_consistent() {
        TICKETS.check().unwrap();
        assert!(TICKETS.action("reply").unwrap().stays());
        assert!(!TICKETS.action("resolve").unwrap().stays());
    }

    #[test]
    fn every_root_cause_is_a_choice_of_the_resolve_form() {
        assert_eq!(ROOT_CAUSES.len(), ROOT_CAUSE_CHOICES.len());
        for (r, c) in ROOT_CAUSES.iter().zip(ROOT_CAUSE_CHOICES) {
            assert_eq!(r.0, c.0);
        }
        assert_eq!(root_cause_department("picking_error"), Some(Department::Warehouse));
        assert_eq!(root_cause_department("customer_misunderstanding"), None);
    }

    #[test]
    fn a_ticket_needs_a_type_a_subject_and_a_message() {
        let ok = TicketInput { kind: "complaint".into(), subject: " Broken cup ".into(), message: "It arrived broken.".into(), order: "#2".into(), ..Default::default() };
        let v = ok.validate().unwrap();
        assert_eq!((v.subject.as_str(), v.order), ("Broken cup", Some(2)));
        let e = TicketInput { message: "  ".into(), ..ok.clone() }.validate().unwrap_err();
        assert!(e.field_message("message").is_some());
        let e = TicketInput { kind: "rant".into(), ..ok.clone() }.validate().unwrap_err();
        assert!(e.field_message("kind").is_some());
        let e = TicketInput { order: "two".into(), ..ok.clone() }.validate().unwrap_err();
        assert!(e.field_message("order").is_some());
        let e = TicketInput { message: "x".repeat(MESSAGE_CHARS + 1), ..ok }.validate().unwrap_err();
        assert!(e.field_message("message").is_some());
    }

    #[test]
    fn a_survey_score_is_one_to_five() {
        let s = |score: &str| SurveyInput { ticket_id: 1, score: score.into(), comment: String::new() }.validate();
        assert_eq!(s("5").unwrap().0, 5);
        assert!(s("0").is_err() && s("6").is_err() && s("").is_err() && s("x").is_err());
    }

    #[test]
    fn countdowns_say_how_long_is_left_or_late() {
        let m = 60_000;
        assert_eq!(countdown(45 * m, 0), ("45 min".to_string(), false));
        assert_eq!(countdown(0, 130 * m), ("2 h 10 min".to_string(), true));
    }

    #[test]
    fn the_calendar_form_is_checked() {
        let ok = CalendarInput {
            time_zone: "+08:00".into(),
            opens: "09:00".into(),
            closes: "18:30".into(),
            workdays: vec![true, true, true, true, true, false, false],
            holidays: "2026-10-01 National Day\n\n2026-10-02 National Day".into(),
        };
        let (cal, days) = ok.validate().unwrap();
        assert_eq!((cal.tz_offset_minutes, cal.open_minute, cal.close_minute, days.len()), (480, 540, 1110, 2));
        assert_eq!(days[0].1, "National Day");
        let bad = |c: CalendarInput, field: &str| assert!(c.validate().unwrap_err().field_message(field).is_some(), "{field}");
        bad(CalendarInput { opens: "9".into(), ..ok.clone() }, "opens");
        bad(CalendarInput { closes: "08:00".into(), ..ok.clone() }, "closes");
        bad(CalendarInput { workdays: vec![false; 7], ..ok.clone() }, "workdays");
        bad(CalendarInput { holidays: "1 Oct".into(), ..ok.clone() }, "holidays");
        bad(CalendarInput { time_zone: "CST".into(), ..ok.clone() }, "time_zone");
        let west = CalendarInput { time_zone: "-05:00".into(), ..ok }.validate().unwrap().0;
        assert_eq!(west.tz_offset_minutes, -300);
    }

    #[test]
    fn labels_follow_the_language() {
        assert_eq!(label("picking_error", Lang::En), "Wrong or missing item packed");
        assert_eq!(label("urgent", Lang::Zh), "紧急");
        assert_eq!(label("unknown-key", Lang::En), "unknown-key");
    }
}
