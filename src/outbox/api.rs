//! Server functions of the outbox: administrators only.

use super::OutboxEmail;
use crate::domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    domain::Permission,
    server::{db, require},
};

/// The newest mail first; `to` narrows it to one address.
#[server(endpoint = "list_outbox")]
pub async fn list_outbox(#[server(default)] to: String) -> Result<Vec<OutboxEmail>, AppError> {
    require(Permission::OutboxView).await?;
    super::service::list(&db()?, &to).await
}
