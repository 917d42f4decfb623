//! Server functions of the alert inbox. Staff see the alerts of the permissions they hold;
//! acknowledging or resolving one needs that permission too (checked in the service).

use super::{Alert, AlertFilter};
use crate::domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::service,
    crate::server::{db, require_staff},
};

#[server(endpoint = "list_alerts")]
pub async fn list_alerts(#[server(default)] filter: AlertFilter) -> Result<Vec<Alert>, AppError> {
    let actor = require_staff().await?;
    service::list(&db()?, &actor, &filter).await
}

#[server(endpoint = "acknowledge_alert")]
pub async fn acknowledge_alert(id: i64) -> Result<(), AppError> {
    let actor = require_staff().await?;
    service::acknowledge(&db()?, &actor, id).await
}

#[server(endpoint = "resolve_alert")]
pub async fn resolve_alert(id: i64, note: String) -> Result<(), AppError> {
    let actor = require_staff().await?;
    service::resolve(&db()?, &actor, id, &note).await
}
