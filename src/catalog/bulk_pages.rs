//! The import page: choose a CSV file, follow the import's progress in the page (products
//! created, updated, unchanged), read the report of the rows left out; the latest imports below.

use super::api::{get_import, list_imports};
use super::bulk::{ImportJob, BadRow, COLUMNS, RUNNING};
use crate::catalog::pages::failure;
use crate::components::{error_text, loading, resource, use_query_map, RequirePermission};
use crate::domain::{format_time, AppError, Permission};
use crate::i18n::{lookup, use_i18n, Lang};
use leptos::html::Input;
use leptos::prelude::*;

#[component]
pub fn ProductImport() -> impl IntoView {
    view! { <RequirePermission permission=Permission::ProductEdit><ImportInner/></RequirePermission> }
}

/// Reads the chosen file in the browser: (name, text).
#[cfg(feature = "hydrate")]
async fn read_file(input: web_sys::HtmlInputElement) -> Result<(String, String), AppError> {
    let file = input.files().and_then(|f| f.get(0)).ok_or_else(|| AppError::invalid("file", "choose a CSV file"))?;
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| AppError::invalid("file", "the file could not be read"))?;
    Ok((file.name(), text.as_string().unwrap_or_default()))
}

/// A bad row's problem in the interface language, when its words are known.
fn problem(b: &BadRow, lang: Lang) -> String {
    let field = lookup(lang, &format!("field.{}", b.field)).unwrap_or(&b.field).to_string();
    let message = lookup(lang, &format!("err.{}", b.message)).map(str::to_string).unwrap_or_else(|| b.message.clone());
    format!("{field}: {message}")
}

#[component]
fn ImportInner() -> impl IntoView {
    let i18n = use_i18n();
    // The import this page follows: from ?job=, where the upload goes once started.
    let job_id = use_query_map().with_untracked(|q| q.get("job").and_then(|j| j.parse::<i64>().ok()));
    let job = resource(move || job_id, |id| async move {
        match id {
            Some(id) => get_import(id).await.map(Some),
            None => Ok(None),
        }
    });
    let recent = resource(|| (), |_| list_imports());
    view! {
        <section class="page" data-page="product-import">
            <div class="page-head">
                <h1>{i18n.t("import.title")}</h1>
                <div class="actions">
                    <a href="/products/export.csv" class="button secondary" rel="external" download="products.csv">{i18n.t("import.export")}</a>
                </div>
            </div>
            <p class="sop">{i18n.t("import.help")}</p>
            <p class="hint"><code>{COLUMNS.join(",")}</code></p>
            <ImportUpload/>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    match job.await {
                        Ok(Some(j)) => view! {
                            // While the import runs, the page looks again shortly: its progress
                            // is in the database.
                            {(j.state == RUNNING).then(|| view! { <meta http-equiv="refresh" content="1"/> })}
                            {job_view(j)}
                        }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(e) => failure(e),
                    }
                })}
            </Transition>
            <h2>{i18n.t("import.recent")}</h2>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let list = match recent.await { Ok(l) => l, Err(e) => return failure(e) };
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("import.none")}</p> }.into_any();
                    }
                    view! {
                        <table class="data">
                            <thead><tr><th>"#"</th><th>{i18n.t("import.file")}</th><th>{i18n.t("field.state")}</th><th class="num">{i18n.t("import.imported")}</th><th class="num">{i18n.t("import.updated")}</th><th>{i18n.t("field.submitted_by")}</th><th>{i18n.t("audit.when")}</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|j| view! {
                                    <tr>
                                        <td><a href=format!("/products/import?job={}", j.id) rel="external">{j.id}</a></td>
                                        <td>{j.file_name}</td>
                                        <td>{i18n.t(state_key(&j.state))}</td>
                                        <td class="num">{j.imported_products}</td>
                                        <td class="num">{j.updated_products}</td>
                                        <td>{j.created_by}</td>
                                        <td>{format_time(j.created_at)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

/// The upload: the browser reads the chosen file and sends its text to
/// `start_product_import`, then opens the page of the import it started.
#[island]
fn ImportUpload() -> impl IntoView {
    let i18n = use_i18n();
    let file = NodeRef::<Input>::new();
    let refused = RwSignal::new(None::<AppError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        if let Some(input) = file.get_untracked() {
            use super::api::start_product_import;
            busy.set(true);
            leptos::task::spawn_local(async move {
                let started = match read_file(input).await {
                    Ok((name, text)) => start_product_import(name, text).await,
                    Err(e) => Err(e),
                };
                match started {
                    Ok(id) => crate::components::go_to(&format!("/products/import?job={id}")),
                    Err(e) => {
                        refused.set(Some(e));
                        busy.set(false);
                    }
                }
            });
        }
    };
    view! {
        <form class="form" on:submit=submit>
            <label data-field="file">{i18n.t("import.file")}
                <input type="file" name="file" accept=".csv,text/csv" node_ref=file/>
            </label>
            {move || refused.with(|e| e.as_ref().map(|e| {
                let field = match e { AppError::Invalid { field, .. } if !field.is_empty() => Some(field.clone()), _ => None };
                let class = if field.is_some() { "field-error" } else { "form-error" };
                view! { <p class=class role="alert" data-field=field>{error_text(e, i18n.lang())}</p> }
            }))}
            <div class="actions">
                <button type="submit" data-testid="start-import" disabled=move || busy.get()>{i18n.t("import.start")}</button>
            </div>
        </form>
    }
}

fn state_key(state: &str) -> &'static str {
    match state {
        RUNNING => "import.running",
        super::bulk::DONE => "import.done",
        _ => "import.failed",
    }
}

/// The progress of one import and its report of bad rows.
fn job_view(j: ImportJob) -> impl IntoView {
    let i18n = use_i18n();
    let percent = j.percent();
    let state = j.state.clone();
    view! {
        <div class="import-job" data-testid="import-job" data-state=j.state.clone()>
            <h2>{j.file_name.clone()} " · " {i18n.t(state_key(&state))}</h2>
            <progress max="100" value=percent></progress>
            <p data-testid="import-progress">
                {j.done_rows} " / " {j.total_rows} " " {i18n.t("import.rows")} " · "
                <strong data-testid="imported">{j.imported_products}</strong> " " {i18n.t("import.products_imported")} " · "
                <strong data-testid="updated">{j.updated_products}</strong> " " {i18n.t("import.products_updated")} " · "
                <strong data-testid="unchanged">{j.unchanged_products}</strong> " " {i18n.t("import.products_unchanged")} " · "
                <strong data-testid="bad-count">{j.bad_rows.len()}</strong> " " {i18n.t("import.bad_rows")}
            </p>
            {j.error.clone().map(|e| view! { <p class="error">{e}</p> })}
            {(!j.bad_rows.is_empty()).then(|| view! {
                <div class="table-wrap">
                    <table class="data" data-testid="bad-rows">
                        <thead><tr><th class="num">{i18n.t("import.line")}</th><th>{i18n.t("import.handle")}</th><th>"SKU"</th><th>{i18n.t("import.problem")}</th></tr></thead>
                        <tbody>
                            {j.bad_rows.iter().take(1000).map(|b| {
                                let b = b.clone();
                                let text = b.clone();
                                view! {
                                    <tr data-bad-line=b.line>
                                        <td class="num">{b.line}</td><td>{b.handle}</td><td>{b.sku}</td>
                                        <td>{problem(&text, i18n.lang())}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </div>
    }
}
