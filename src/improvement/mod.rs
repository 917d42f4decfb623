//! Improvement suggestions: any member of staff proposes a change to a process step; the
//! operations manager accepts or rejects it, assigns an owner and confirms it implemented.
//! It is the handbook's continuous-improvement loop and the first process on the engine.

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

use crate::domain::{Permission, Role};
use crate::engine::{Action, AuditEvent, Field, FieldKind, SlaStatus, State, Text, Workflow};
use serde::{Deserialize, Serialize};

pub const SUBMITTED: State =
    State { id: "submitted", name: Text::new("Submitted", "已提交"), terminal: false };
pub const ACCEPTED: State =
    State { id: "accepted", name: Text::new("Accepted", "已采纳"), terminal: false };
pub const REJECTED: State =
    State { id: "rejected", name: Text::new("Rejected", "已驳回"), terminal: true };
pub const ASSIGNED: State =
    State { id: "assigned", name: Text::new("In progress", "实施中"), terminal: false };
pub const IMPLEMENTED: State =
    State { id: "implemented", name: Text::new("Implemented", "已实施"), terminal: true };

const REASON: Field = Field {
    name: "reason",
    label: Text::new("Reason", "原因"),
    kind: FieldKind::LongText,
    required: true,
    max_chars: 1000,
};
const OWNER: Field = Field {
    name: "owner",
    label: Text::new("Owner", "负责人"),
    kind: FieldKind::Staff,
    required: true,
    max_chars: 20,
};

pub const SUGGESTIONS: Workflow = Workflow {
    id: "improvement",
    name: Text::new("Improvement suggestions", "改进建议"),
    purpose: Text::new(
        "Turn what staff notice in daily work into reviewed, owned and implemented changes to the operating procedures.",
        "把员工在日常工作中发现的问题，变成经过评审、有负责人并落地实施的流程改进。",
    ),
    table: "suggestions",
    states: &[SUBMITTED, ACCEPTED, REJECTED, ASSIGNED, IMPLEMENTED],
    actions: &[
        Action {
            id: "submit",
            label: Text::new("Submit", "提交"),
            from: &[],
            to: SUBMITTED,
            permission: Permission::SuggestionSubmit,
            owner: Role::AnyStaff,
            sla_hours: None,
            sop: Text::new(
                "Name the department and the process step, describe the problem as you saw it (when, how often, what it cost) and what you propose instead. One problem per suggestion.",
                "写明所属部门和流程环节，描述你看到的问题（何时、多频繁、造成了什么损失）以及你的改进方案。一条建议只写一个问题。",
            ),
            form: &[
                Field { name: "title", label: Text::new("Title", "标题"), kind: FieldKind::Text, required: true, max_chars: 120 },
                Field { name: "department", label: Text::new("Department", "部门"), kind: FieldKind::Department, required: true, max_chars: 20 },
                Field { name: "step", label: Text::new("Process step", "流程环节"), kind: FieldKind::Text, required: true, max_chars: 120 },
                Field { name: "problem", label: Text::new("Problem", "问题描述"), kind: FieldKind::LongText, required: true, max_chars: 2000 },
                Field { name: "proposal", label: Text::new("Proposal", "改进方案"), kind: FieldKind::LongText, required: true, max_chars: 2000 },
            ],
        },
        Action {
            id: "accept",
            label: Text::new("Accept", "采纳"),
            from: &[SUBMITTED],
            to: ACCEPTED,
            permission: Permission::SuggestionReview,
            owner: Role::OperationsManager,
            sla_hours: Some(72),
            sop: Text::new(
                "Within three days: read the suggestion, check the facts with the department that owns the step, and accept it when the benefit is worth the change. Say why in the comment.",
                "三天内：阅读建议，与该环节所属部门核实情况，收益值得改动时予以采纳，并在备注中说明理由。",
            ),
            form: &[Field { name: "comment", label: Text::new("Comment", "备注"), kind: FieldKind::LongText, required: false, max_chars: 1000 }],
        },
        Action {
            id: "reject",
            label: Text::new("Reject", "驳回"),
            from: &[SUBMITTED],
            to: REJECTED,
            permission: Permission::SuggestionReview,
            owner: Role::OperationsManager,
            sla_hours: Some(72),
            sop: Text::new(
                "Within three days: when the suggestion is not worth doing now, reject it with a reason the author can learn from.",
                "三天内：若建议暂不值得实施，予以驳回，并写明能让提出人理解的原因。",
            ),
            form: &[REASON],
        },
        Action {
            id: "assign",
            label: Text::new("Assign owner", "指派负责人"),
            from: &[ACCEPTED],
            to: ASSIGNED,
            permission: Permission::SuggestionAssign,
            owner: Role::OperationsManager,
            sla_hours: Some(24),
            sop: Text::new(
                "Within a day of accepting: choose the member of staff who owns the process step and agree the change with them.",
                "采纳后一天内：指定负责该流程环节的员工，并与其确认改进内容。",
            ),
            form: &[OWNER],
        },
        Action {
            id: "reassign",
            label: Text::new("Reassign", "更换负责人"),
            from: &[ASSIGNED],
            to: ASSIGNED,
            permission: Permission::SuggestionAssign,
            owner: Role::OperationsManager,
            sla_hours: None,
            sop: Text::new(
                "When the owner changes role or cannot do the work, hand the suggestion to a new owner.",
                "负责人岗位变动或无法完成时，将建议转交给新的负责人。",
            ),
            form: &[OWNER],
        },
        Action {
            id: "implement",
            label: Text::new("Mark implemented", "确认已实施"),
            from: &[ASSIGNED],
            to: IMPLEMENTED,
            permission: Permission::SuggestionImplement,
            owner: Role::OperationsManager,
            sla_hours: Some(720),
            sop: Text::new(
                "Within thirty days: confirm the change is live, the SOP text is updated and the team knows; record what changed.",
                "三十天内：确认改进已上线、SOP 文本已更新、团队已知悉，并记录改动内容。",
            ),
            form: &[Field { name: "note", label: Text::new("What changed", "改动说明"), kind: FieldKind::LongText, required: true, max_chars: 2000 }],
        },
    ],
};

/// A suggestion as lists and the detail page show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub id: i64,
    pub title: String,
    pub department: String,
    pub step: String,
    pub problem: String,
    pub proposal: String,
    pub state: String,
    pub version: i64,
    pub submitted_by: i64,
    pub submitter_name: String,
    pub owner_id: Option<i64>,
    pub owner_name: Option<String>,
    pub decision: Option<String>,
    pub implementation_note: Option<String>,
    pub created_at: i64,
    pub state_entered_at: i64,
    pub sla: SlaStatus,
}

/// The detail page: the record, its history, and what the viewer may do next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionDetail {
    pub suggestion: Suggestion,
    pub events: Vec<AuditEvent>,
    /// Ids of the actions the viewer may take now.
    pub actions: Vec<String>,
    /// Staff who may be chosen as owner: (user id, name).
    pub staff: Vec<(i64, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SuggestionFilter {
    pub state: Option<String>,
    pub department: Option<String>,
    /// Only those the viewer submitted or owns.
    #[serde(default)]
    pub mine: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::validate_form;
    use std::collections::HashMap;

    #[test]
    fn the_declaration_is_consistent() {
        SUGGESTIONS.check().unwrap();
    }

    #[test]
    fn only_declared_moves_are_available() {
        let all = Permission::ALL;
        let ids = |state| SUGGESTIONS.available(state, all).map(|a| a.id).collect::<Vec<_>>();
        assert_eq!(ids("submitted"), ["accept", "reject"]);
        assert_eq!(ids("accepted"), ["assign"]);
        assert_eq!(ids("assigned"), ["reassign", "implement"]);
        assert!(ids("rejected").is_empty());
        assert!(ids("implemented").is_empty());
        // A submitter without review rights sees no buttons on a submitted suggestion.
        let staff = Role::ProductSpecialist.default_permissions();
        assert_eq!(SUGGESTIONS.available("submitted", &staff).count(), 0);
    }

    #[test]
    fn sla_follows_the_waiting_step() {
        assert_eq!(SUGGESTIONS.sla_hours("submitted"), Some(72));
        assert_eq!(SUGGESTIONS.sla_hours("assigned"), Some(720));
        assert_eq!(SUGGESTIONS.sla_hours("implemented"), None);
        let h = 3_600_000;
        assert_eq!(SlaStatus::compute(&SUGGESTIONS, "submitted", 0, 71 * h), SlaStatus::OnTime { due_at: 72 * h });
        assert_eq!(SlaStatus::compute(&SUGGESTIONS, "submitted", 0, 73 * h), SlaStatus::Breached { due_at: 72 * h });
    }

    #[test]
    fn forms_are_validated_from_the_declaration() {
        let reject = SUGGESTIONS.action("reject").unwrap();
        let form = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        assert_eq!(validate_form(reject, &form(&[("reason", "  ")])).unwrap_err().field_message("reason").as_deref(), Some("required"));
        assert_eq!(validate_form(reject, &form(&[("reason", "dup")])).unwrap()["reason"], "dup");
        assert!(validate_form(reject, &form(&[("reason", "x"), ("state", "implemented")])).is_err());
        let assign = SUGGESTIONS.action("assign").unwrap();
        assert!(validate_form(assign, &form(&[("owner", "abc")])).is_err());
        let submit = SUGGESTIONS.action("submit").unwrap();
        let mut f = form(&[("title", "t"), ("department", "moon"), ("step", "s"), ("problem", "p"), ("proposal", "q")]);
        assert_eq!(validate_form(submit, &f).unwrap_err().field_message("department").as_deref(), Some("choose a department"));
        f.insert("department".into(), "warehouse".into());
        assert!(validate_form(submit, &f).is_ok());
    }
}
