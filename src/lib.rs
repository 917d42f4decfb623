//! Shopflow: an online shop's standard operating procedures as declared, executable,
//! measured workflows. This crate is both the server (feature `ssr`) and the hydrated
//! browser client (feature `hydrate`); domain types are shared by the two.

// Deeply nested view types of whole pages exceed the default query depth without
// erase_components.
#![recursion_limit = "512"]

pub mod accounts;
pub mod alerts;
pub mod attachments;
pub mod app;
pub mod catalog;
pub mod components;
pub mod domain;
pub mod engine;
pub mod i18n;
pub mod improvement;
pub mod inventory;
pub mod logistics;
pub mod notifications;
pub mod orders;
pub mod outbox;
pub mod tickets;
pub mod workspace;
#[cfg(feature = "ssr")]
pub mod server;

/// The server allocates for every request and every rendered view (erased views box each
/// node); glibc's allocator took about a tenth of a page render's time in `perf`. Declared in
/// the library so the binary, the tests and the benchmarks all run on it.
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Every declared process, for the SOP index and the checks that run over all of them.
pub fn workflows() -> &'static [&'static engine::Workflow] {
    &[&improvement::SUGGESTIONS, &catalog::LISTING, &catalog::PRICE_APPROVALS, &inventory::RECEIPTS, &inventory::transfers::TRANSFERS, &inventory::counts::COUNTS, &orders::ORDERS, &orders::exceptions::EXCEPTIONS, &orders::returns::RETURNS, &tickets::TICKETS]
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Only the islands run in the browser (Leptos' islands mode): the shell, the navigation
    // and the pages' server-rendered parts stay as the server wrote them.
    leptos::mount::hydrate_islands();
    // Marks the page as interactive; end-to-end tests wait for it before clicking. Leptos'
    // loader hydrates the islands after this function returns, each in a microtask of its
    // own: a timer runs after all of them.
    leptos::prelude::set_timeout(
        || {
            if let Some(body) = leptos::prelude::document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
