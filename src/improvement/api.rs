//! Server functions of improvement suggestions.

use super::{Suggestion, SuggestionDetail, SuggestionFilter};
use crate::domain::AppError;
use leptos::prelude::*;
use std::collections::HashMap;

#[cfg(feature = "ssr")]
use {
    super::{service, SUGGESTIONS},
    crate::domain::Permission,
    crate::server::{db, require},
};

#[server(endpoint = "list_suggestions")]
pub async fn list_suggestions(#[server(default)] filter: SuggestionFilter) -> Result<Vec<Suggestion>, AppError> {
    let actor = require(Permission::SuggestionView).await?;
    service::list(&db()?, &actor, &filter).await
}

#[server(endpoint = "get_suggestion")]
pub async fn get_suggestion(id: i64) -> Result<SuggestionDetail, AppError> {
    let actor = require(Permission::SuggestionView).await?;
    service::detail(&db()?, &actor, id).await
}

/// Returns the new suggestion's id.
#[server(endpoint = "submit_suggestion")]
pub async fn submit_suggestion(fields: HashMap<String, String>) -> Result<i64, AppError> {
    let actor = require(Permission::SuggestionSubmit).await?;
    Ok(service::submit(&db()?, &actor, &fields).await?.id)
}

/// Any step after submission; the step's declared permission is what is required.
#[server(endpoint = "act_on_suggestion")]
pub async fn act_on_suggestion(
    id: i64,
    version: i64,
    action: String,
    #[server(default)] fields: HashMap<String, String>,
) -> Result<(), AppError> {
    let step = SUGGESTIONS.action(&action).ok_or_else(|| AppError::invalid("action", "unknown action"))?;
    let actor = require(step.permission).await?;
    service::act(&db()?, &actor, id, version, &action, &fields).await.map(|_| ())
}
