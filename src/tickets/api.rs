//! Server functions of the service desk. Each checks its permission first; a customer reaches
//! only their own tickets (the service answers "not found" for anyone else's).

use super::{CalendarInput, CalendarSettings, EmailOutcome, QueueFilter, SurveyInput, TicketDetail, TicketInput, TicketQueue, TicketSummary, TicketTask};
use crate::domain::AppError;
use leptos::prelude::*;
use crate::domain::codec::JsonOrForm;
use std::collections::HashMap;

#[cfg(feature = "ssr")]
use {
    super::{service, service::TicketPolicy, TICKETS},
    crate::domain::Permission,
    crate::server::{db, require},
};

#[cfg(feature = "ssr")]
fn policy() -> TicketPolicy {
    use_context::<crate::server::AppState>().map(|s| s.config.tickets).unwrap_or_default()
}

/// A customer files a ticket, or an agent logs a caller's; returns the ticket's id.
#[server(endpoint = "open_ticket", input = JsonOrForm)]
pub async fn open_ticket(input: TicketInput) -> Result<i64, AppError> {
    let actor = require(Permission::TicketOpen).await?;
    Ok(service::open(&db()?, &actor, &input).await?.id)
}

#[server(endpoint = "list_my_tickets")]
pub async fn list_my_tickets() -> Result<Vec<TicketSummary>, AppError> {
    let actor = require(Permission::TicketOpen).await?;
    service::my_tickets(&db()?, &actor).await
}

#[server(endpoint = "get_my_ticket")]
pub async fn get_my_ticket(id: i64) -> Result<TicketDetail, AppError> {
    let actor = require(Permission::TicketOpen).await?;
    service::my_ticket(&db()?, &actor, policy(), id).await
}

/// The customer's message on their ticket (an agent: what the caller said on the phone), with
/// the files they uploaded for it.
#[server(endpoint = "write_on_ticket", input = JsonOrForm)]
pub async fn write_on_ticket(id: i64, message: String, #[server(default)] attachments: Vec<i64>) -> Result<(), AppError> {
    let actor = require(Permission::TicketOpen).await?;
    service::customer_write(&db()?, &actor, policy(), id, &message, &attachments).await.map(|_| ())
}

#[server(endpoint = "answer_survey", input = JsonOrForm)]
pub async fn answer_survey(input: SurveyInput) -> Result<(), AppError> {
    let actor = require(Permission::TicketOpen).await?;
    service::answer_survey(&db()?, &actor, &input).await
}

#[server(endpoint = "list_tickets", input = JsonOrForm)]
pub async fn list_tickets(#[server(default)] filter: QueueFilter) -> Result<TicketQueue, AppError> {
    let actor = require(Permission::TicketView).await?;
    let tickets = service::queue(&db()?, &actor, &filter).await?;
    Ok(TicketQueue { now: crate::domain::now_millis(), tickets })
}

#[server(endpoint = "get_ticket")]
pub async fn get_ticket(id: i64) -> Result<TicketDetail, AppError> {
    let actor = require(Permission::TicketView).await?;
    service::ticket(&db()?, &actor, policy(), id).await
}

#[server(endpoint = "act_on_ticket", input = JsonOrForm)]
pub async fn act_on_ticket(
    id: i64,
    version: i64,
    action: String,
    #[server(default)] fields: HashMap<String, String>,
    #[server(default)] attachments: Vec<i64>,
) -> Result<(), AppError> {
    let step = TICKETS.action(&action).filter(|a| !a.creates()).ok_or_else(|| AppError::invalid("action", "unknown action"))?;
    let actor = require(step.permission).await?;
    service::act_with_files(&db()?, &actor, id, version, &action, &fields, &attachments).await.map(|_| ())
}

/// The questions customer service asked the departments this user works in.
#[server(endpoint = "list_department_tasks")]
pub async fn list_department_tasks() -> Result<Vec<TicketTask>, AppError> {
    let actor = require(Permission::TicketTaskAnswer).await?;
    service::department_tasks(&db()?, &actor).await
}

#[server(endpoint = "answer_department_task")]
pub async fn answer_department_task(task_id: i64, answer: String) -> Result<(), AppError> {
    let actor = require(Permission::TicketTaskAnswer).await?;
    service::answer_task(&db()?, &actor, task_id, &answer).await.map(|_| ())
}

/// The agents a ticket can be given to: (id, name).
#[server(endpoint = "list_agents")]
pub async fn list_agents() -> Result<Vec<(i64, String)>, AppError> {
    require(Permission::TicketHandle).await?;
    service::agents(&db()?).await
}

/// The customer-service dashboard over the last `days` days (default 30).
#[server(endpoint = "service_dashboard")]
pub async fn service_dashboard(#[server(default)] days: i64) -> Result<super::dashboard::ServiceDashboard, AppError> {
    require(Permission::TicketView).await?;
    let days = if days <= 0 { 30 } else { days.min(365) };
    service::dashboard(&db()?, days).await
}

/// The business calendar service levels are counted in.
#[server(endpoint = "get_service_calendar")]
pub async fn get_service_calendar() -> Result<CalendarSettings, AppError> {
    require(Permission::TicketView).await?;
    service::calendar_page(&db()?).await
}

#[server(endpoint = "save_service_calendar", input = JsonOrForm)]
pub async fn save_service_calendar(input: CalendarInput) -> Result<(), AppError> {
    let actor = require(Permission::TicketSupervise).await?;
    service::save_calendar(&db()?, &actor, &input).await
}

/// An agent imports customer mail saved as `.eml` files (a multipart form, one or more
/// `file` fields); each file's outcome, in order.
#[server(endpoint = "import_email", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn import_email(data: leptos::server_fn::codec::MultipartData) -> Result<Vec<(String, Result<EmailOutcome, AppError>)>, AppError> {
    use super::email::{ingest, MAX_EMAIL_BYTES};
    require(Permission::TicketHandle).await?;
    let db = db()?;
    let mut form = data.into_inner().ok_or_else(|| AppError::invalid("file", "choose .eml files"))?;
    let mut results = Vec::new();
    while let Ok(Some(mut field)) = form.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        let mut too_large = false;
        while let Ok(Some(chunk)) = field.chunk().await {
            if bytes.len() + chunk.len() > MAX_EMAIL_BYTES {
                too_large = true;
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
        let outcome = if too_large {
            Err(AppError::invalid("email", "the message is larger than 25 MB"))
        } else if bytes.is_empty() {
            continue;
        } else {
            ingest(&db, policy(), &bytes).await
        };
        results.push((name, outcome));
    }
    if results.is_empty() {
        return Err(AppError::invalid("file", "choose .eml files"));
    }
    Ok(results)
}

/// The knowledge base: canned replies and the SOP steps of every process matching `q`.
#[server(endpoint = "search_knowledge")]
pub async fn search_knowledge(q: String, #[server(default)] lang: String) -> Result<Vec<super::knowledge::KnowledgeHit>, AppError> {
    require(Permission::TicketView).await?;
    let lang = crate::i18n::Lang::from_key(&lang).unwrap_or_default();
    service::search_knowledge(&db()?, &q, lang).await
}

#[server(endpoint = "list_canned_replies")]
pub async fn list_canned_replies() -> Result<Vec<super::knowledge::CannedReply>, AppError> {
    require(Permission::TicketView).await?;
    service::canned_replies(&db()?).await
}

/// Adds (`id` 0) or changes a canned reply; returns its id.
#[server(endpoint = "save_canned_reply", input = JsonOrForm)]
pub async fn save_canned_reply(id: i64, input: super::knowledge::CannedReplyInput) -> Result<i64, AppError> {
    let actor = require(Permission::TicketSupervise).await?;
    service::save_canned_reply(&db()?, &actor, id, &input).await
}

#[server(endpoint = "delete_canned_reply")]
pub async fn delete_canned_reply(id: i64) -> Result<(), AppError> {
    let actor = require(Permission::TicketSupervise).await?;
    service::delete_canned_reply(&db()?, &actor, id).await
}
