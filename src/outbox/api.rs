//! Server functions of the outbox: administrators only.

use super::{Outbox, OutboxEmail};
use crate::domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    domain::Permission,
    server::{db, require},
};

/// The newest mail first; `to` narrows it to one address. Says whether a relay is
/// configured, so an administrator knows why nothing leaves.
#[server(endpoint = "list_outbox")]
pub async fn list_outbox(#[server(default)] to: String) -> Result<Outbox, AppError> {
    require(Permission::OutboxView).await?;
    let delivering = use_context::<crate::server::AppState>().is_some_and(|s| s.config.smtp.is_some());
    Ok(Outbox { delivering, mails: super::service::list(&db()?, &to).await? })
}

/// "Retry now" for a mail that waits for its next try or was given up.
#[server(endpoint = "retry_outbox_email")]
pub async fn retry_outbox_email(id: i64) -> Result<OutboxEmail, AppError> {
    let actor = require(Permission::OutboxManage).await?;
    super::service::retry_now(&db()?, &actor, id).await
}
