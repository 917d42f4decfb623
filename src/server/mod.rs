//! Server-only code: configuration, the database, sessions, authorization, HTTP wiring.

pub mod assets;
pub mod auth;
pub mod config;
pub mod db;
pub mod demo;
pub mod http;
pub mod sessions;
pub mod webhook;

pub use auth::{require, require_staff, require_user};
pub use db::Db;

/// What every request handler and server function can reach, provided as Leptos context.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: std::sync::Arc<config::Config>,
}

/// The database of the current request, from the context the router provides.
pub fn db() -> crate::domain::AppResult<Db> {
    leptos::prelude::use_context::<AppState>()
        .map(|s| s.db)
        .ok_or_else(|| crate::domain::AppError::internal("no AppState in context"))
}
