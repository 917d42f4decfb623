//! Server functions of the workspace.

use super::{Dashboard, DepartmentHome};
use crate::domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    crate::domain::{Department, Permission},
    crate::improvement::{service as improvement, SuggestionFilter, SUGGESTIONS},
    crate::server::{db, require, require_user},
};

/// Any signed-in member of staff; what it contains depends on their permissions.
#[server(endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    let actor = require_user().await?;
    if actor.is_customer || !actor.can(Permission::SuggestionView) {
        return Ok(Dashboard { my_open: vec![], waiting_for_me: vec![], breached: 0, by_state: vec![] });
    }
    let db = db()?;
    let all = improvement::list(&db, &actor, &SuggestionFilter::default()).await?;
    let open = |s: &&crate::improvement::Suggestion| !SUGGESTIONS.state(&s.state).is_some_and(|st| st.terminal);
    let my_open = all
        .iter()
        .filter(open)
        .filter(|s| s.submitted_by == actor.id || s.owner_id == Some(actor.id))
        .cloned()
        .collect();
    let waiting_for_me: Vec<_> = all
        .iter()
        .filter(|s| SUGGESTIONS.available(&s.state, &actor.permissions).next().is_some())
        .cloned()
        .collect();
    let breached = waiting_for_me
        .iter()
        .filter(|s| matches!(s.sla, crate::engine::SlaStatus::Breached { .. }))
        .count() as i64;
    Ok(Dashboard { my_open, waiting_for_me, breached, by_state: improvement::counts(&db, None).await? })
}

#[server(endpoint = "department_home")]
pub async fn get_department_home(department: String) -> Result<DepartmentHome, AppError> {
    let dept = Department::from_key(&department).ok_or(AppError::NotFound)?;
    let actor = require(dept.page_permission()).await?;
    let db = db()?;
    let keys: Vec<&str> = dept.roles().iter().map(|r| r.key()).collect();
    let members = crate::accounts::service::members_of(&db, &keys).await?;
    let suggestions = if actor.can(Permission::SuggestionView) {
        let filter = SuggestionFilter { department: Some(department.clone()), ..Default::default() };
        improvement::list(&db, &actor, &filter).await?
    } else {
        Vec::new()
    };
    Ok(DepartmentHome { department, members, suggestions, by_state: improvement::counts(&db, Some(dept.key())).await? })
}
