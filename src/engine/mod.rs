//! The workflow engine. A process is declared once as a [`Workflow`]: its states, its actions
//! (from which states, to which state, the permission, the owning role, the SLA, the SOP text
//! and the form). Everything else is derived from the declaration: the legal moves, the
//! server-side checks, the buttons a user sees, the SOP document and the flowchart.
//! `apply` (server only) is the one path that changes a workflow state.

pub mod flowchart;
#[cfg(feature = "ssr")]
pub mod run;

use crate::domain::{Permission, Role};
use crate::i18n::Lang;
use serde::{Deserialize, Serialize};

/// Text in both interface languages, declared beside the thing it describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    pub en: &'static str,
    pub zh: &'static str,
}

impl Text {
    pub const fn new(en: &'static str, zh: &'static str) -> Self {
        Text { en, zh }
    }
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en,
            Lang::Zh => self.zh,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    pub id: &'static str,
    pub name: Text,
    /// No action leaves a terminal state; its SLA clock stops.
    pub terminal: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    LongText,
    /// A member of staff, chosen from a list; the value is the user id.
    Staff,
    /// One of the departments; the value is its key.
    Department,
    /// One of a fixed list: (value, label).
    Choice(&'static [(&'static str, Text)]),
    /// An amount of money ("12.50"); stored as typed, checked as money.
    Money,
}

/// One input of an action's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub label: Text,
    pub kind: FieldKind,
    pub required: bool,
    pub max_chars: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    pub id: &'static str,
    pub label: Text,
    /// The states the action may be taken from; empty for the action that creates a record.
    pub from: &'static [State],
    pub to: State,
    pub permission: Permission,
    pub owner: Role,
    /// How long the record may wait in a `from` state for this step, in hours.
    pub sla_hours: Option<u32>,
    pub sop: Text,
    pub form: &'static [Field],
}

/// The target of a step that keeps the record in whatever state it is in: a reply, an internal
/// note, an assignment. Such a step is checked, versioned and audited like any other; it
/// just moves nothing.
pub const STAY: State = State { id: "", name: Text::new("(state unchanged)", "（状态不变）"), terminal: false };

impl Action {
    pub fn creates(&self) -> bool {
        self.from.is_empty()
    }

    /// Whether the step leaves the state as it is (its target is [`STAY`]).
    pub fn stays(&self) -> bool {
        self.to.id.is_empty()
    }

    /// The state the step moves a record in `from` to.
    pub fn target(&'static self, from: &'static State) -> &'static State {
        if self.stays() {
            from
        } else {
            &self.to
        }
    }
}

#[derive(Debug)]
pub struct Workflow {
    pub id: &'static str,
    pub name: Text,
    pub purpose: Text,
    /// The table holding the records; it has `id`, `state`, `version`, `updated_at` and
    /// `state_since` (when the current state was entered: the SLA clock).
    pub table: &'static str,
    pub states: &'static [State],
    pub actions: &'static [Action],
}

impl Workflow {
    pub fn state(&self, id: &str) -> Option<&'static State> {
        self.states.iter().find(|s| s.id == id)
    }

    pub fn action(&self, id: &str) -> Option<&'static Action> {
        self.actions.iter().find(|a| a.id == id)
    }

    pub fn state_name(&self, id: &str, lang: Lang) -> &'static str {
        self.state(id).map(|s| s.name.get(lang)).unwrap_or("?")
    }

    /// The actions that may be taken from `state` by someone holding `permissions`.
    pub fn available<'a>(
        &'a self,
        state: &'a str,
        permissions: &'a [Permission],
    ) -> impl Iterator<Item = &'static Action> + 'a {
        self.actions.iter().filter(move |a| {
            a.from.iter().any(|s| s.id == state) && permissions.contains(&a.permission)
        })
    }

    /// The shortest SLA of the steps waiting in `state`: how long a record may stay there.
    pub fn sla_hours(&self, state: &str) -> Option<u32> {
        self.actions
            .iter()
            .filter(|a| a.from.iter().any(|s| s.id == state))
            .filter_map(|a| a.sla_hours)
            .min()
    }

    /// Checks the declaration itself; run by a unit test for every workflow.
    pub fn check(&self) -> Result<(), String> {
        // More than one is allowed: a return filed by the customer, or by an agent for them.
        if !self.actions.iter().any(|a| a.creates()) {
            return Err(format!("{}: no creating action", self.id));
        }
        for a in self.actions {
            if a.creates() && a.stays() {
                return Err(format!("{}.{}: a creating action must enter a state", self.id, a.id));
            }
            let to = (!a.stays()).then_some(&a.to);
            for s in a.from.iter().chain(to) {
                if self.state(s.id) != Some(s) {
                    return Err(format!("{}.{}: undeclared state {}", self.id, a.id, s.id));
                }
            }
            if a.from.iter().any(|s| s.terminal) {
                return Err(format!("{}.{}: leaves a terminal state", self.id, a.id));
            }
            if a.sop.en.is_empty() || a.sop.zh.is_empty() {
                return Err(format!("{}.{}: SOP text missing", self.id, a.id));
            }
        }
        for s in self.states {
            let reachable = self.actions.iter().any(|a| a.to.id == s.id);
            let leaves = self.actions.iter().any(|a| a.from.contains(s));
            if !reachable {
                return Err(format!("{}: state {} is unreachable", self.id, s.id));
            }
            if !s.terminal && !leaves {
                return Err(format!("{}: non-terminal state {} has no way out", self.id, s.id));
            }
        }
        Ok(())
    }
}

/// The validated values of an action's form, by field name.
pub type FormValues = std::collections::BTreeMap<String, String>;

/// Checks submitted values against the action's declared form: required fields present,
/// lengths within bounds, staff ids numeric, departments known, no undeclared fields.
/// Runs in the browser for instant messages and again on the server, which is what counts.
pub fn validate_form(
    action: &Action,
    submitted: &std::collections::HashMap<String, String>,
) -> crate::domain::AppResult<FormValues> {
    use crate::domain::{optional_text, required_text, AppError, Department};
    if let Some(unknown) = submitted.keys().find(|k| !action.form.iter().any(|f| f.name == *k)) {
        return Err(AppError::invalid(unknown, "unexpected field"));
    }
    let mut values = FormValues::new();
    for field in action.form {
        let raw = submitted.get(field.name).map(String::as_str).unwrap_or("");
        let value = if field.required {
            Some(required_text(field.name, raw, field.max_chars)?)
        } else {
            optional_text(field.name, raw, field.max_chars)?
        };
        let Some(value) = value else { continue };
        match field.kind {
            FieldKind::Staff if value.parse::<i64>().is_err() => {
                return Err(AppError::invalid(field.name, "choose a member of staff"));
            }
            FieldKind::Department if Department::from_key(&value).is_none() => {
                return Err(AppError::invalid(field.name, "choose a department"));
            }
            FieldKind::Choice(options) if !options.iter().any(|o| o.0 == value) => {
                return Err(AppError::invalid(field.name, "choose one of the options"));
            }
            FieldKind::Money => {
                crate::domain::parse_money(field.name, &value)?;
            }
            _ => {}
        }
        values.insert(field.name.to_string(), value);
    }
    Ok(values)
}

/// One line of a record's audit trail, as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: i64,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub actor_id: Option<i64>,
    pub actor_name: Option<String>,
    pub at: i64,
    pub payload: String,
}

/// Where a record stands against the SLA of its current step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlaStatus {
    None,
    OnTime { due_at: i64 },
    Breached { due_at: i64 },
}

impl SlaStatus {
    pub fn compute(wf: &Workflow, state: &str, entered_at: i64, now: i64) -> SlaStatus {
        match wf.sla_hours(state) {
            None => SlaStatus::None,
            Some(h) => {
                let due_at = entered_at + i64::from(h) * 3_600_000;
                if now > due_at {
                    SlaStatus::Breached { due_at }
                } else {
                    SlaStatus::OnTime { due_at }
                }
            }
        }
    }
}
