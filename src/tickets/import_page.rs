//! `/tickets/import`: an agent takes in customer mail saved as `.eml` files. Each file becomes
//! a ticket, or a message on the ticket its subject quotes (from that ticket's contact only).

use super::api::import_email;
use super::EmailOutcome;
use crate::components::{error_text, FieldError, FormError, RequirePermission};
use crate::domain::{AppError, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos::web_sys::FormData;

#[component]
pub fn EmailImportPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::TicketHandle><ImportInner/></RequirePermission> }
}

type Results = Vec<(String, Result<EmailOutcome, AppError>)>;

#[island]
fn ImportInner() -> impl IntoView {
    let i18n = use_i18n();
    // FormData lives in the browser only: a local action.
    let upload = Action::new_local(|data: &FormData| import_email(data.clone().into()));
    let result: Signal<Option<Result<Results, AppError>>> = Signal::derive(move || upload.value().get());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let form = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlFormElement>().ok());
            if let Some(data) = form.and_then(|f| FormData::new_with_form(&f).ok()) {
                upload.dispatch_local(data);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, upload);
    };
    view! {
        <section class="page narrow" data-page="email-import">
            <p><a href="/tickets">"← " {i18n.t("ticket.title")}</a></p>
            <h1>{i18n.t("ticket.import_email")}</h1>
            <p class="muted">{i18n.t("ticket.import_hint")}</p>
            <form class="form" on:submit=submit data-testid="email-import">
                <label data-field="file">{i18n.t("field.file")}
                    <input type="file" name="file" multiple accept=".eml,message/rfc822"/>
                </label>
                <FieldError result field="file"/>
                <FormError result fields=&["file"]/>
                <div class="actions"><button type="submit" data-testid="import-email" disabled=move || upload.pending().get()>{i18n.t("ticket.import_email")}</button></div>
            </form>
            {move || result.get().and_then(|r| r.ok()).map(|list| view! {
                <ul class="import-results" data-testid="import-results">
                    {list.into_iter().map(|(name, r)| view! {
                        <li>
                            <strong>{name}</strong> " — "
                            {match r {
                                Ok(o) => view! {
                                    <a href=format!("/tickets/{}", o.ticket_id)>"#" {o.ticket_id}</a> " "
                                    {i18n.t(if o.duplicate { "ticket.mail_duplicate" } else if o.created { "ticket.mail_new" } else { "ticket.mail_reply" })}
                                }.into_any(),
                                Err(e) => view! { <span class="form-error">{error_text(&e, i18n.lang())}</span> }.into_any(),
                            }}
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}
