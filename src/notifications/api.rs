//! Server functions of the notifications: any signed-in user, and only ever their own — the
//! service takes the user from the session, never from the request.

use super::Inbox;
use crate::domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::server::{db, require_user},
};

/// The bell's number.
#[server(endpoint = "unread_notifications")]
pub async fn unread_notifications() -> Result<i64, AppError> {
    let actor = require_user().await?;
    service::unread_count(&db()?, &actor).await
}

#[server(endpoint = "list_notifications")]
pub async fn list_notifications() -> Result<Inbox, AppError> {
    let actor = require_user().await?;
    service::inbox(&db()?, &actor).await
}

#[server(endpoint = "mark_notification_read")]
pub async fn mark_notification_read(id: i64) -> Result<(), AppError> {
    let actor = require_user().await?;
    service::mark_read(&db()?, &actor, id).await
}

#[server(endpoint = "mark_all_notifications_read")]
pub async fn mark_all_notifications_read() -> Result<u64, AppError> {
    let actor = require_user().await?;
    service::mark_all_read(&db()?, &actor).await
}
