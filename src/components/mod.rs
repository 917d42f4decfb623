//! Reusable pieces of the interface: form errors, page guards, the audit timeline, SLA
//! badges and state labels. Processes compose their pages from these.

use crate::accounts::Actor;
use crate::domain::{format_time, AppError, Department, Permission};
use crate::engine::{AuditEvent, SlaStatus, Workflow};
use crate::i18n::{lookup, use_i18n, Lang};
use leptos::prelude::*;
use leptos_router::params::ParamsMap;

/// What a page shows while its data loads.
pub fn loading() -> impl IntoView {
    view! { <p class="loading">"…"</p> }
}

// Pages are islands (Leptos' islands mode): the server renders the shell, the navigation and
// the routes, and the browser runs only the islands, each on its own, without the router or
// the contexts the server's tree provides. What a page reads of the address, of the session
// and of navigation therefore goes through the helpers below, which read the router and the
// contexts on the server and the page itself in the browser.

/// The numeric route parameter `key` of the page being rendered (0 when missing or not a
/// number, which no record has). Read on the server, where the router is, and handed to the
/// page's island as a prop.
pub fn route_id(key: &'static str) -> i64 {
    route_param(key).parse::<i64>().unwrap_or(0)
}

/// The route parameter `key` of the page being rendered, on the server ("" when missing).
pub fn route_param(key: &'static str) -> String {
    #[cfg(not(feature = "hydrate"))]
    {
        leptos_router::hooks::use_params_map().with_untracked(|p| p.get(key)).unwrap_or_default()
    }
    #[cfg(feature = "hydrate")]
    {
        let _ = key;
        String::new()
    }
}

/// The page's query string: on the server from the router, in the browser from the address
/// bar. It does not change while the page is open: a page shows other filters by loading
/// the address that has them ([`go_to`]).
pub fn use_query_map() -> Memo<ParamsMap> {
    #[cfg(not(feature = "hydrate"))]
    {
        leptos_router::hooks::use_query_map()
    }
    #[cfg(feature = "hydrate")]
    {
        use leptos_router::location::{BrowserUrl, LocationProvider};
        let params = window()
            .location()
            .href()
            .ok()
            .and_then(|href| BrowserUrl::parse(&href).ok())
            .map(|url| url.search_params().clone())
            .unwrap_or_default();
        Memo::new(move |_| params.clone())
    }
}

/// Loads the page at `path` from the server (the browser has no client-side router). After
/// sign-in, sign-out or a language change this renders every part of the page afresh
/// (navigation, permissions, texts). Nothing on the server.
pub fn go_to(path: &str) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Sends the visitor to `path`: with a redirect answer when the server renders the page, by
/// loading `path` when the browser renders it.
#[component]
pub fn Redirect(path: &'static str) -> impl IntoView {
    #[cfg(not(feature = "hydrate"))]
    {
        view! { <leptos_router::components::Redirect path/> }
    }
    #[cfg(feature = "hydrate")]
    {
        go_to(path);
    }
}

/// How a resource's value travels from the server's render to the hydrating client: JSON,
/// read back with `serde_json::from_slice`, the reader server functions use for their answers.
/// Leptos' default codec reads with `from_str`, and serde compiles a type's deserializer once
/// per reader: with both, every page's data type was in the WASM twice (serde_json's code
/// 881 KB before wasm-opt, 476 KB with one reader; BENCHMARKS.md, session 14).
pub struct JsonData;

impl<T: serde::Serialize> leptos::server::codee::Encoder<T> for JsonData {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: serde::de::DeserializeOwned> leptos::server::codee::Decoder<T> for JsonData {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(encoded: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(encoded.as_bytes())
    }
}

/// A page's data, loaded on the server and handed to the client with [`JsonData`].
pub type Data<T> = Resource<T, JsonData>;

/// [`Resource::new`] with [`JsonData`]: every page loads its data through this (a test keeps
/// `Resource::new` out of the sources).
#[track_caller]
pub fn resource<T, S, Fut>(source: impl Fn() -> S + Send + Sync + 'static, fetcher: impl Fn(S) -> Fut + Send + Sync + 'static) -> Data<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    // Inside an island the resource's value must travel to the browser. The server's
    // hydration flag is on only while an island's body first runs: a resource created later,
    // in a `Suspend` that awaited something first, would neither be written into the page
    // nor given the number the browser looks it up by, and the browser would fetch it again
    // and hydrate the loading state over the server's markup. So it is created with the flag
    // on wherever the island is. Outside islands nothing reads the value in the browser.
    use leptos::reactive::owner::{IsHydrating, Owner};
    if use_context::<IsHydrating>().is_some_and(|h| h.0) {
        Owner::with_hydration(move || Resource::new_with_options(source, fetcher, false))
    } else {
        Resource::new_with_options(source, fetcher, false)
    }
}

/// The signed-in user of this page, as the server reported it.
#[derive(Clone)]
pub struct CurrentUser(pub Option<Actor>);

/// On the server Leptos renders the children of a `<Suspense>` or `<Transition>` up to three
/// times: two dry runs, which poll each `Suspend` once to learn which resources it reads, then
/// the render that is sent. A `Suspend` whose data have already loaded completes inside a dry
/// run, so whatever it builds is built again for real. A component that creates resources
/// must be built once: the browser builds it once and hydrates from the data of the first copy
/// the server serialized, which is the discarded one, fetched again and, once its request was
/// gone, without it (the ticket desk hydrated a ticket without its order, and its buttons went
/// dead). A `Suspend` that builds such components awaits this first, and a dry run stops here.
pub async fn after_dry_runs() {
    #[cfg(feature = "ssr")]
    tokio::task::yield_now().await;
}

/// The signed-in user: from the shell's context on the server, from the session the server
/// wrote into the page in an island (which the shell's context does not reach).
pub fn current_user() -> Option<Actor> {
    match use_context::<CurrentUser>() {
        Some(c) => c.0,
        None => {
            let user = CurrentUser(crate::app::initial_session().actor);
            provide_context(user.clone());
            user.0
        }
    }
}

/// An error message in the interface language: known messages have translations.
pub fn error_text(err: &AppError, lang: Lang) -> String {
    let message = match err {
        AppError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    };
    match err {
        AppError::Invalid { .. } => line_message(&message, lang).or_else(|| translate(&message, lang)).unwrap_or(message),
        AppError::Conflict(m) => translate(m, lang).unwrap_or(message),
        AppError::Unauthenticated => lookup(lang, "err.unauthenticated").unwrap_or_default().to_string(),
        AppError::Forbidden => lookup(lang, "err.forbidden").unwrap_or_default().to_string(),
        AppError::NotFound => lookup(lang, "err.not_found").unwrap_or_default().to_string(),
        AppError::StaleVersion => lookup(lang, "err.stale").unwrap_or_default().to_string(),
        // The state is an id, and a single record's form does not know its workflow's names
        // for it; the reload this asks for shows the record's state by name. (A bulk report,
        // which knows the workflow, names the state: `BulkReportNote`.)
        AppError::InvalidTransition { .. } => lookup(lang, "err.invalid_transition").unwrap_or_default().to_string(),
        _ => message,
    }
}

/// A server message in `lang`, when it is known: word for word, or with its numbers in
/// their places ("at most 30 characters" is "err.at most {0} characters"), or after a
/// leading name ("QM-200G: not enough stock (3 available)").
fn translate(message: &str, lang: Lang) -> Option<String> {
    if let Some(t) = lookup(lang, &format!("err.{message}")) {
        return Some(t.to_string());
    }
    let (template, numbers) = number_template(message);
    if !numbers.is_empty() {
        if let Some(t) = lookup(lang, &format!("err.{template}")) {
            return Some(numbers.iter().enumerate().fold(t.to_string(), |t, (k, n)| t.replace(&format!("{{{k}}}"), n)));
        }
    }
    let (name, rest) = message.split_once(": ")?;
    translate(rest, lang).map(|t| format!("{name}: {t}"))
}

/// "the total is now 301.00; check…" → ("the total is now {0}; check…", ["301.00"]).
fn number_template(message: &str) -> (String, Vec<String>) {
    let mut template = String::with_capacity(message.len());
    let mut numbers: Vec<String> = Vec::new();
    let mut chars = message.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_ascii_digit() {
            template.push(c);
            continue;
        }
        let mut n = c.to_string();
        while let Some(&d) = chars.peek() {
            // A decimal point belongs to the number only with a digit after it.
            if d.is_ascii_digit() || (d == '.' && n.chars().last().is_some_and(|l| l.is_ascii_digit())) {
                n.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let dot = n.ends_with('.');
        let n = n.trim_end_matches('.').to_string();
        template.push_str(&format!("{{{}}}", numbers.len()));
        numbers.push(n);
        if dot {
            template.push('.');
        }
    }
    (template, numbers)
}

/// "line 2: price: must be greater than zero" (errors on one line of a multi-line form) in
/// the interface language, when its parts are known.
fn line_message(message: &str, lang: Lang) -> Option<String> {
    let rest = message.strip_prefix("line ")?;
    let (n, rest) = rest.split_once(": ")?;
    let (field, text) = rest.split_once(": ").unwrap_or(("", rest));
    let text = translate(text, lang).unwrap_or_else(|| text.to_string());
    let field = if field.is_empty() { String::new() } else { format!("{}: ", lookup(lang, &format!("field.{field}")).unwrap_or(field)) };
    Some(format!("{} {n}: {field}{text}", lookup(lang, "err.line").unwrap_or("line")))
}

/// The wiring of a record page's steps: an action that runs `run` with the step's arguments,
/// the count of its successes (key the record's resource on it to refetch), and its latest
/// result for the form errors.
pub fn step_action<A, F, Fut>(run: F) -> (Action<A, Result<(), AppError>>, Signal<usize>, Signal<Option<Result<(), AppError>>>)
where
    A: Clone + Send + Sync + 'static,
    F: Fn(A) -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), AppError>> + Send + 'static,
{
    let act = Action::new(move |args: &A| run(args.clone()));
    let done = successes(act);
    (act, done, Signal::derive(move || act.value().get()))
}

/// Counts the successful runs of an action. Pages refetch their record on this rather than on
/// every run: a refused step must leave what the user typed in place, so they can correct it.
pub fn successes<I, O>(action: Action<I, Result<O, AppError>>) -> Signal<usize>
where
    I: Send + Sync + 'static,
    O: Send + Sync + 'static,
{
    let count = RwSignal::new(0usize);
    Effect::new(move |_| {
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            count.update(|n| *n += 1);
        }
    });
    count.into()
}

/// The message for `field` from the last result of an action, shown under the input.
#[component]
pub fn FieldError<T: Send + Sync + 'static>(
    result: Signal<Option<Result<T, AppError>>>,
    field: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        result.with(|r| match r {
            Some(Err(e)) => e.field_message(field).map(|_| {
                view! { <p class="field-error" role="alert" data-field=field>{error_text(e, i18n.lang())}</p> }
            }),
            _ => None,
        })
    }
}

/// Errors of the last result that no field shows: denied, conflicts, failures.
#[component]
pub fn FormError<T: Send + Sync + 'static>(
    result: Signal<Option<Result<T, AppError>>>,
    /// Fields that show their own errors.
    #[prop(default = &[])]
    fields: &'static [&'static str],
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        result.with(|r| match r {
            Some(Err(AppError::Invalid { field, .. })) if fields.contains(&field.as_str()) => None,
            Some(Err(e)) => Some(view! { <p class="form-error" role="alert">{error_text(e, i18n.lang())}</p> }),
            _ => None,
        })
    }
}

/// Shows its children only to a signed-in user holding `permission`. Anonymous visitors go
/// to sign-in; others get the 403 page, with status 403 when rendered on the server. This is
/// the page-level check; the server functions behind the page check again.
#[component]
pub fn RequirePermission(permission: Permission, children: Children) -> impl IntoView {
    match current_user() {
        None => view! { <Redirect path="/login"/> }.into_any(),
        Some(actor) if actor.can(permission) => children().into_any(),
        Some(_) => view! { <Forbidden/> }.into_any(),
    }
}

/// Shows its children to any signed-in user.
#[component]
pub fn RequireUser(children: Children) -> impl IntoView {
    match current_user() {
        None => view! { <Redirect path="/login"/> }.into_any(),
        Some(_) => children().into_any(),
    }
}

/// Shows its children to signed-in staff; customers get the 403 page.
#[component]
pub fn RequireStaff(children: Children) -> impl IntoView {
    match current_user() {
        None => view! { <Redirect path="/login"/> }.into_any(),
        Some(a) if !a.is_customer => children().into_any(),
        Some(_) => view! { <Forbidden/> }.into_any(),
    }
}

/// The SOP of a process, printed from its declaration: purpose, flowchart, and per step the
/// owner, the SLA, the instructions and the form.
#[component]
pub fn SopDocument(workflow: &'static Workflow) -> impl IntoView {
    let i18n = use_i18n();
    let wf = workflow;
    view! {
        <section class="page sop-doc" data-page="sop" data-process=wf.id>
            <h1>{i18n.t("improvement.sop")} ": " {move || wf.name.get(i18n.lang())}</h1>
            <p>{move || wf.purpose.get(i18n.lang())}</p>
            <div class="flowchart-wrap" inner_html=move || crate::engine::flowchart::svg(wf, i18n.lang())></div>
            <ol class="steps">
                {wf.actions.iter().map(|a| view! {
                    <li data-step=a.id>
                        <h3>{move || a.label.get(i18n.lang())}</h3>
                        <dl class="facts">
                            <dt>{i18n.t("sop.owner")}</dt><dd>{move || a.owner.name(i18n.lang())}</dd>
                            <dt>{i18n.t("sop.from")}</dt>
                            <dd>{move || if a.from.is_empty() { "—".to_string() } else {
                                a.from.iter().map(|s| s.name.get(i18n.lang())).collect::<Vec<_>>().join(", ")
                            }}</dd>
                            <dt>{i18n.t("sop.to")}</dt><dd>{move || a.to.name.get(i18n.lang())}</dd>
                            <dt>"SLA"</dt><dd>{move || a.sla_hours.map(|h| format!("{h} h")).unwrap_or_else(|| "—".into())}</dd>
                            <dt>{i18n.t("sop.permission")}</dt><dd>{move || a.permission.label(i18n.lang())}</dd>
                            <dt>{i18n.t("sop.form")}</dt>
                            <dd>{move || a.form.iter().map(|f| f.label.get(i18n.lang())).collect::<Vec<_>>().join(", ")}</dd>
                        </dl>
                        <p class="sop">{move || a.sop.get(i18n.lang())}</p>
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
pub fn Forbidden() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::http::set_page_status(403);
    let i18n = use_i18n();
    view! {
        <section class="page error-page" data-page="forbidden">
            <h1>"403"</h1>
            <p>{i18n.t("err.forbidden")}</p>
            <a href="/">{i18n.t("nav.home")}</a>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::http::set_page_status(404);
    let i18n = use_i18n();
    view! {
        <section class="page error-page" data-page="not-found">
            <h1>"404"</h1>
            <p>{i18n.t("err.not_found")}</p>
            <a href="/">{i18n.t("nav.home")}</a>
        </section>
    }
}

/// A translated state name as a coloured label.
#[component]
pub fn StateBadge(workflow: &'static Workflow, state: String) -> impl IntoView {
    let i18n = use_i18n();
    let name = {
        let state = state.clone();
        move || workflow.state_name(&state, i18n.lang())
    };
    view! { <span class=format!("badge state-{state}") data-state=state.clone()>{name}</span> }
}

/// The "filter by state" form above a workflow's list: a GET form on `action` with `?state=`.
#[component]
pub fn StateFilter(workflow: &'static Workflow, action: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let state = move || query.read().get("state").unwrap_or_default();
    view! {
        <form method="get" action=action class="filters">
            <label>{i18n.t("field.state")}
                <select name="state">
                    <option value="">{i18n.t("audit.all")}</option>
                    {workflow.states.iter().map(|s| view! { <option value=s.id selected=move || state() == s.id>{move || s.name.get(i18n.lang())}</option> }).collect_view()}
                </select>
            </label>
            <button type="submit" class="secondary">{i18n.t("common.filter")}</button>
        </form>
    }
}

#[component]
pub fn SlaBadge(sla: SlaStatus) -> impl IntoView {
    let i18n = use_i18n();
    match sla {
        SlaStatus::None => ().into_any(),
        SlaStatus::OnTime { due_at } => view! {
            <span class="badge sla-ok" title=format_time(due_at)>{i18n.t("sla.due")} " " {format_time(due_at)}</span>
        }
        .into_any(),
        SlaStatus::Breached { due_at } => view! {
            <span class="badge sla-breached" title=format_time(due_at)>{i18n.t("sla.breached")} " " {format_time(due_at)}</span>
        }
        .into_any(),
    }
}

/// The audit trail of one record, newest last: who did what, when, and what they wrote.
#[component]
pub fn Timeline(workflow: &'static Workflow, events: Vec<AuditEvent>) -> impl IntoView {
    let i18n = use_i18n();
    let items = events
        .into_iter()
        .map(|e| {
            let action = workflow.action(&e.action);
            // Steps that are not state changes (an edit) are named in the translation files.
            let other = format!("audit.action.{}", e.action);
            let label = move || {
                action.map(|a| a.label.get(i18n.lang())).or_else(|| lookup(i18n.lang(), &other)).unwrap_or("?")
            };
            // Only state changes have an arrow to the new state.
            let to_name = e.to_state.clone().map(|to| move || workflow.state_name(&to, i18n.lang()));
            let details: Vec<(String, String)> = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&e.payload)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
                .collect();
            let details = details
                .into_iter()
                .map(|(k, v)| {
                    let field = action.and_then(|a| a.form.iter().find(|f| f.name == k));
                    let key = move || match field {
                        Some(f) => f.label.get(i18n.lang()).to_string(),
                        None => lookup(i18n.lang(), &format!("field.{k}")).map(str::to_string).unwrap_or_else(|| k.clone()),
                    };
                    // Departments are stored by key; show their name.
                    let department = field
                        .filter(|f| f.kind == crate::engine::FieldKind::Department)
                        .and_then(|_| Department::from_key(&v));
                    // Choices too, by their label.
                    let choice = field.and_then(|f| match f.kind {
                        crate::engine::FieldKind::Choice(options) => options.iter().find(|o| o.0 == v).map(|o| o.1),
                        _ => None,
                    });
                    let value = move || match (department, choice) {
                        (Some(d), _) => i18n.t(department_label_key(d))().to_string(),
                        (None, Some(label)) => label.get(i18n.lang()).to_string(),
                        (None, None) => v.clone(),
                    };
                    view! { <dt>{key}</dt><dd>{value}</dd> }
                })
                .collect_view();
            view! {
                <li class="event" data-action=e.action.clone()>
                    <div class="event-head">
                        <strong>{label}</strong>
                        {to_name.map(|name| view! { " → " <span>{name}</span> })}
                    </div>
                    <div class="event-meta">
                        {e.actor_name.clone().unwrap_or_else(|| "system".into())} " · " {format_time(e.at)}
                    </div>
                    <dl class="event-details">{details}</dl>
                </li>
            }
        })
        .collect_view();
    view! { <ol class="timeline">{items}</ol> }
}

/// The inputs of a workflow action's declared form, named `fields[<name>]` so one server
/// function per process can take any of its actions.
pub fn workflow_fields(action: &'static crate::engine::Action, staff: Vec<(i64, String)>) -> impl IntoView {
    use crate::engine::FieldKind;
    let i18n = use_i18n();
    action
        .form
        .iter()
        .map(|f| {
            let name = format!("fields[{}]", f.name);
            let label = move || f.label.get(i18n.lang());
            let input = match f.kind {
                FieldKind::Text => view! { <input name=name required=f.required maxlength=f.max_chars/> }.into_any(),
                FieldKind::LongText => {
                    view! { <textarea name=name required=f.required maxlength=f.max_chars rows="3"></textarea> }.into_any()
                }
                FieldKind::Staff => view! {
                    <select name=name required=f.required>
                        <option value="">"—"</option>
                        {staff.iter().map(|(id, n)| view! { <option value=id.to_string()>{n.clone()}</option> }).collect_view()}
                    </select>
                }
                .into_any(),
                FieldKind::Department => view! {
                    <select name=name required=f.required>
                        <option value="">"—"</option>
                        {Department::ALL.iter().map(|d| {
                            let key = department_label_key(*d);
                            view! { <option value=d.key()>{i18n.t(key)}</option> }
                        }).collect_view()}
                    </select>
                }
                .into_any(),
                FieldKind::Choice(options) => view! {
                    <select name=name required=f.required>
                        <option value="">"—"</option>
                        {options.iter().map(|(v, l)| view! { <option value=*v>{move || l.get(i18n.lang())}</option> }).collect_view()}
                    </select>
                }
                .into_any(),
                FieldKind::Money => view! { <input name=name required=f.required inputmode="decimal" maxlength="14"/> }.into_any(),
            };
            view! { <label data-field=f.name>{label}{input}</label> }
        })
        .collect_view()
}

pub fn department_label_key(d: crate::domain::Department) -> &'static str {
    use crate::domain::Department::*;
    match d {
        Product => "dept.product",
        Orders => "dept.orders",
        Warehouse => "dept.warehouse",
        Logistics => "dept.logistics",
        Service => "dept.service",
        Marketing => "dept.marketing",
        Finance => "dept.finance",
        Operations => "dept.operations",
    }
}

/// The people a step's staff field offers, (id, name): provided by a page whose steps have one.
#[derive(Debug, Clone, Default)]
pub struct StaffChoices(pub Vec<(i64, String)>);

/// One step of a record page: its SOP text, the inputs of the step's declared form, and the
/// button. `send` gets the action id and the form's values.
pub fn step_box(
    wf: &'static crate::engine::Workflow,
    action: &'static str,
    send: impl Fn(&'static str, std::collections::HashMap<String, String>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let a = wf.action(action);
    let label = move || a.map(|x| x.label.get(i18n.lang())).unwrap_or(action);
    let fields: Vec<(&'static crate::engine::Field, RwSignal<String>)> = a.map(|x| x.form.iter().map(|f| (f, RwSignal::new(String::new()))).collect()).unwrap_or_default();
    let values = StoredValue::new(fields.clone());
    view! {
        <div class="form step" data-action=action>
            <h3>{label}</h3>
            <p class="sop">{move || a.map(|x| x.sop.get(i18n.lang())).unwrap_or("")}</p>
            {fields.into_iter().map(|(f, sig)| {
                let input = match f.kind {
                    crate::engine::FieldKind::LongText => view! {
                        <textarea name=f.name rows="2" maxlength=f.max_chars prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))></textarea>
                    }.into_any(),
                    crate::engine::FieldKind::Choice(options) => view! {
                        <select name=f.name prop:value=move || sig.get() on:change=move |ev| sig.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {options.iter().map(|(v, l)| view! { <option value=*v>{move || l.get(i18n.lang())}</option> }).collect_view()}
                        </select>
                    }.into_any(),
                    crate::engine::FieldKind::Staff => view! {
                        <select name=f.name prop:value=move || sig.get() on:change=move |ev| sig.set(event_target_value(&ev))>
                            <option value="">"—"</option>
                            {use_context::<StaffChoices>().unwrap_or_default().0.into_iter().map(|(id, n)| view! { <option value=id.to_string()>{n}</option> }).collect_view()}
                        </select>
                    }.into_any(),
                    _ => view! { <input name=f.name maxlength=f.max_chars prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/> }.into_any(),
                };
                view! { <label data-field=f.name>{move || f.label.get(i18n.lang())}{input}</label> }
            }).collect_view()}
            // Steps that undo or abandon are secondary, so the way forward stands out.
            <button type="button" data-testid=action class:secondary={matches!(action, "cancel" | "void" | "recount" | "reject" | "merge" | "close")} on:click=move |_| {
                send(action, values.with_value(|v| v.iter().map(|(f, s)| (f.name.to_string(), s.get_untracked())).collect()));
            }>{label}</button>
        </div>
    }
}

/// A form the server renders, posted to a server function by the browser: the only part of
/// such a form that runs in the browser, shared by every page that uses it, so its fields,
/// labels and texts cost the client nothing. `to` is the server function's address
/// (`<F as ServerFn>::PATH`), and the inputs are named after its arguments (`id`, `version`,
/// `fields[reason]`). When the server function succeeds the page loads again to show the new
/// state (text typed into the page's other forms is kept across that reload: `drafts`), or,
/// when `then` has a `{}`, the page of the record it answered with. When it
/// refuses, the message appears in the form, under the fields, which keep what was typed.
/// Before the client has started (or without it) the browser posts the form itself; the
/// server function then sends it back to the page with the error in the address, which this
/// form shows as well.
#[island]
pub fn PostForm(
    to: String,
    /// Where to go once saved: "" loads the page again; "/things/{}" opens the new record.
    #[prop(optional)]
    then: Option<String>,
    #[prop(optional)]
    class: Option<String>,
    /// The step the form takes (`data-action`), for styles and tests.
    #[prop(optional)]
    step: Option<String>,
    /// The server function takes a step on several records at once and answers with each
    /// record's outcome (`[[id, {"Ok": null}], [id, {"Err": …}]]`): when some failed, the
    /// page loads again with a [`BulkReport`] in the address, for [`BulkReportNote`].
    #[prop(optional)]
    bulk: Option<bool>,
    children: Children,
) -> impl IntoView {
    let i18n = use_i18n();
    let then = then.unwrap_or_default();
    let bulk = bulk.unwrap_or(false);
    // The refusal of a post the browser made itself comes back in the address.
    let returned = {
        let query = use_query_map();
        let to = to.clone();
        query.with_untracked(|q| match (q.get("__path"), q.get("__err")) {
            (Some(path), Some(err)) if path == to => {
                Some(leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(&err))
            }
            _ => None,
        })
    };
    let error = RwSignal::new(returned);
    let busy = RwSignal::new(false);
    // Text typed into this form before another form's step loaded the page again.
    let form_ref = NodeRef::<leptos::html::Form>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(form) = form_ref.get() {
            drafts::restore(&form);
        }
    });
    let on_submit = {
        let (to, then) = (to.clone(), then.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            if busy.get_untracked() {
                return;
            }
            // The server renders the form; only the browser submits it.
            #[cfg(not(feature = "hydrate"))]
            let _ = (&to, &then, bulk);
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok()) else { return };
                let Ok(data) = web_sys::FormData::new_with_form(&form) else { return };
                busy.set(true);
                let (to, then) = (to.clone(), then.clone());
                leptos::task::spawn_local(async move {
                    match post_form(&to, data).await {
                        Ok(answer) => {
                            // Some of the records a bulk step was given were not taken: the page
                            // loads again with the report.
                            if let Some(report) = bulk.then(|| BulkReport::of_answer(&answer)).flatten() {
                                go_to(&report_address(&to, &report));
                                return;
                            }
                            // An id answered by a creating step opens the new record's page.
                            match answer.trim().parse::<i64>() {
                                Ok(id) if then.contains("{}") => go_to(&then.replace("{}", &id.to_string())),
                                _ if !then.is_empty() && !then.contains("{}") => go_to(&then),
                                _ => {
                                    // What is typed into the page's other forms (a reply
                                    // being written) outlives the reload.
                                    drafts::keep(&form);
                                    let _ = window().location().reload();
                                }
                            }
                        }
                        Err(e) => {
                            error.set(Some(e));
                            busy.set(false);
                        }
                    }
                });
            }
        }
    };
    view! {
        <form node_ref=form_ref method="post" action=to class=class data-action=step
            aria-busy=move || busy.get().then_some("true") on:submit=on_submit>
            {children()}
            {move || error.with(|e| e.as_ref().map(|e| {
                let field = match e { AppError::Invalid { field, .. } if !field.is_empty() => Some(field.clone()), _ => None };
                let class = if field.is_some() { "field-error" } else { "form-error" };
                view! { <p class=class role="alert" data-field=field>{error_text(e, i18n.lang())}</p> }
            }))}
        </form>
    }
}

/// What a step taken on several records at once left undone: how many records it took, and
/// each one it could not take with the reason. [`PostForm`] carries it in the address of the
/// page it loads again, so the list shows the records as they are now beside the report.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BulkReport {
    pub done: usize,
    pub failed: Vec<(i64, AppError)>,
}

impl BulkReport {
    /// The report of a bulk step's outcomes; `None` when every record was taken.
    pub fn of(outcomes: &crate::domain::BulkResult) -> Option<BulkReport> {
        let failed: Vec<(i64, AppError)> = outcomes.iter().filter_map(|(id, r)| r.as_ref().err().map(|e| (*id, e.clone()))).collect();
        (!failed.is_empty()).then(|| BulkReport { done: outcomes.len() - failed.len(), failed })
    }

    /// The report of a bulk step's answer as the server sent it; `None` when every record was
    /// taken (or the answer is of another kind).
    pub fn of_answer(answer: &str) -> Option<BulkReport> {
        BulkReport::of(&serde_json::from_str(answer).ok()?)
    }

    /// The address of the page at `path` (with its query `search`, "?…" or "") loaded again
    /// with this report of the bulk step posted to `to`; whatever an earlier post left in the
    /// address (a report, a refusal) is replaced. The browser's form ([`PostForm`]) and the
    /// server, for a form posted without JavaScript, make the same address.
    pub fn address(&self, path: &str, search: &str, to: &str) -> String {
        let kept: String = search
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty() && !["__path=", "__err=", "__bulk="].iter().any(|k| p.starts_with(k)))
            .map(|p| format!("{p}&"))
            .collect();
        format!("{path}?{kept}__path={}&__bulk={}", encode_component(to), encode_component(&serde_json::to_string(self).unwrap_or_default()))
    }
}

/// `s` as a part of an address, as JavaScript's `encodeURIComponent` writes it.
fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The report of the bulk step posted to `to` on records of `workflow` that the page's
/// address carries, if any. Rendered apart from the step's form: the records the step took
/// may have left the list, and the form with them.
#[component]
pub fn BulkReportNote(to: &'static str, workflow: &'static Workflow) -> impl IntoView {
    let i18n = use_i18n();
    let report = use_query_map().with_untracked(|q| {
        // A report that does not read (an edited address) is left out.
        q.get("__bulk").filter(|_| q.get("__path").as_deref() == Some(to)).and_then(|r| serde_json::from_slice::<BulkReport>(r.as_bytes()).ok())
    });
    report.map(|r| {
        let lang = i18n.lang();
        let all = r.done + r.failed.len();
        let head = lookup(lang, "bulk.partial").unwrap_or_default().replace("{done}", &r.done.to_string()).replace("{all}", &all.to_string());
        let why = move |e: &AppError| match e {
            // A record someone else moved on meanwhile: say where it is now, by the state's name.
            AppError::InvalidTransition { state, .. } => {
                lookup(lang, "bulk.moved_on").unwrap_or_default().replace("{state}", &workflow.state_name(state, lang))
            }
            other => error_text(other, lang),
        };
        view! {
            <div class="form-error" role="alert" data-testid="bulk-report">
                <p>{head}</p>
                <ul>{r.failed.into_iter().map(|(id, e)| view! { <li data-record=id>{format!("#{id}: {}", why(&e))}</li> }).collect_view()}</ul>
            </div>
        }
    })
}

/// The address of this page again, with `report` of the bulk step posted to `to`.
#[cfg(feature = "hydrate")]
fn report_address(to: &str, report: &BulkReport) -> String {
    let location = window().location();
    report.address(&location.pathname().unwrap_or_default(), &location.search().unwrap_or_default(), to)
}

/// Text typed into a page's forms, kept across the reload that follows another form's step:
/// a reply half-written when the agent takes a step is there when the page is back. Kept in
/// the tab's session storage for a few minutes, per page; each field gets its text back once.
#[cfg(feature = "hydrate")]
mod drafts {
    use leptos::prelude::{document, window};
    use std::collections::HashMap;
    use wasm_bindgen::JsCast;
    use web_sys::{HtmlFormElement, HtmlTextAreaElement};

    /// How long a kept draft waits for its page.
    const KEEP_MS: f64 = 10.0 * 60.0 * 1000.0;

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Kept {
        at: f64,
        fields: HashMap<String, String>,
    }

    fn storage_key() -> String {
        format!("shopflow-drafts:{}", window().location().pathname().unwrap_or_default())
    }

    /// A text area by its form (the server function it posts to and the step it takes) and
    /// its name: the same on the page that loads again. The attribute, not `form.action`: a
    /// step's form has an input named "action", which that property returns instead.
    fn field_key(form: &HtmlFormElement, area: &HtmlTextAreaElement) -> String {
        let attr = |name| form.get_attribute(name).unwrap_or_default();
        format!("{}|{}|{}", attr("action"), attr("data-action"), area.name())
    }

    fn text_areas(root: &web_sys::Element) -> Vec<HtmlTextAreaElement> {
        let Ok(list) = root.query_selector_all("textarea") else { return Vec::new() };
        (0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<HtmlTextAreaElement>().ok()).collect()
    }

    /// Keeps the text typed into the page's text areas, except those of `sent`, whose step was
    /// just taken.
    pub fn keep(sent: &HtmlFormElement) {
        let Some(root) = document().document_element() else { return };
        let mut fields = HashMap::new();
        for area in text_areas(&root) {
            let Some(form) = area.form() else { continue };
            if &form == sent || area.value().trim().is_empty() || Ok(area.value()) == area.default_value() {
                continue;
            }
            fields.insert(field_key(&form, &area), area.value());
        }
        let Ok(Some(storage)) = window().session_storage() else { return };
        if fields.is_empty() {
            let _ = storage.remove_item(&storage_key());
        } else if let Ok(json) = serde_json::to_string(&Kept { at: js_sys::Date::now(), fields }) {
            let _ = storage.set_item(&storage_key(), &json);
        }
    }

    /// Puts the kept text back into `form`'s text areas.
    pub fn restore(form: &HtmlFormElement) {
        let Ok(Some(storage)) = window().session_storage() else { return };
        let Ok(Some(json)) = storage.get_item(&storage_key()) else { return };
        let Ok(mut kept) = serde_json::from_slice::<Kept>(json.as_bytes()) else {
            let _ = storage.remove_item(&storage_key());
            return;
        };
        if js_sys::Date::now() - kept.at > KEEP_MS {
            let _ = storage.remove_item(&storage_key());
            return;
        }
        let mut changed = false;
        for area in text_areas(form) {
            if let Some(text) = kept.fields.remove(&field_key(form, &area)) {
                area.set_value(&text);
                changed = true;
            }
        }
        if !changed {
            return;
        }
        let _ = match serde_json::to_string(&kept) {
            Ok(json) if !kept.fields.is_empty() => storage.set_item(&storage_key(), &json),
            _ => storage.remove_item(&storage_key()),
        };
    }
}

/// Posts a form's values to the server function at `to` the way server functions read them
/// (URL-encoded) and returns its JSON answer, or the error it answered with.
#[cfg(feature = "hydrate")]
async fn post_form(to: &str, data: web_sys::FormData) -> Result<String, AppError> {
    use leptos::server_fn::client::{browser::BrowserClient, Client};
    use leptos::server_fn::error::FromServerFnError;
    use leptos::server_fn::request::{browser::BrowserRequest, ClientReq};
    use leptos::server_fn::response::ClientRes;
    let request = <BrowserRequest as ClientReq<AppError>>::try_new_post_form_data(
        to,
        "application/json",
        "application/x-www-form-urlencoded",
        data.into(),
    )?;
    let response = <BrowserClient as Client<AppError>>::send(request).await?;
    let ok = (200..300).contains(&ClientRes::<AppError>::status(&response));
    let body = ClientRes::<AppError>::try_into_bytes(response).await?;
    if ok {
        Ok(String::from_utf8_lossy(&body).into_owned())
    } else {
        Err(AppError::de(body))
    }
}

/// One step of a record, as a form the server renders: the step's SOP text, `extra` (inputs
/// per line that the step takes), the inputs of its declared form and the button, posted by
/// [`PostForm`] to the process's server function at `to` with the record's `id`, `version`
/// and the step's `action`. Staff fields offer `staff`.
pub fn step_form(
    wf: &'static Workflow,
    action: &'static str,
    to: &'static str,
    (id, version): (i64, i64),
    staff: Vec<(i64, String)>,
    extra: impl IntoView + 'static,
) -> impl IntoView {
    let i18n = use_i18n();
    let a = wf.action(action);
    let label = a.map(|x| x.label.get(i18n.lang())).unwrap_or(action);
    // Steps that undo or abandon are secondary, so the way forward stands out.
    let secondary = matches!(action, "cancel" | "void" | "recount" | "reject" | "merge" | "close");
    view! {
        <PostForm to=to.to_string() class="form step".to_string() step=action.to_string()>
            <h3>{label}</h3>
            <p class="sop">{a.map(|x| x.sop.get(i18n.lang())).unwrap_or("")}</p>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="version" value=version/>
            <input type="hidden" name="action" value=action/>
            {extra}
            {a.map(|a| workflow_fields(a, staff))}
            <button type="submit" data-testid=action class:secondary=secondary>{label}</button>
        </PostForm>
    }
}

/// The new record's id from a creating action: navigate to its page once saved.
pub fn open_when_saved(save: Action<impl Send + Sync + 'static, Result<i64, AppError>>, base: &'static str) {
    Effect::new(move |_| {
        if let Some(Ok(id)) = save.value().get() {
            go_to(&format!("{base}/{id}"));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::SessionInfo;

    #[test]
    fn messages_with_numbers_are_translated_with_their_numbers() {
        assert_eq!(number_template("the total is now 301.00; check it."), ("the total is now {0}; check it.".to_string(), vec!["301.00".to_string()]));
        let long = AppError::invalid("title", "at most 120 characters");
        assert_eq!(error_text(&long, Lang::Zh), "最多 120 个字符。");
        let total = AppError::Conflict("the total is now 301.00; check your order and place it again".into());
        assert!(error_text(&total, Lang::Zh).contains("301.00") && error_text(&total, Lang::Zh).contains("总额"), "{}", error_text(&total, Lang::Zh));
        let short = AppError::Conflict("QM-200G: not enough stock (3 available)".into());
        assert_eq!(error_text(&short, Lang::Zh), "QM-200G: 库存不足（可用 3）。");
        let line = AppError::invalid("lines", "line 2: quantity: at most 1 can be sent back");
        assert!(error_text(&line, Lang::Zh).contains("最多可退 1"), "{}", error_text(&line, Lang::Zh));
        // Unknown messages stay as they are.
        assert_eq!(error_text(&AppError::Conflict("no such thing 4".into()), Lang::Zh), "no such thing 4");
    }

    #[test]
    fn a_step_that_no_longer_applies_is_said_in_the_language_without_the_state_id() {
        let moved = AppError::InvalidTransition { action: "approve".into(), state: "in_review".into() };
        for lang in [Lang::En, Lang::Zh] {
            let text = error_text(&moved, lang);
            assert_eq!(text, lookup(lang, "err.invalid_transition").unwrap());
            assert!(!text.contains("in_review") && !text.contains("approve"), "{text}");
        }
        assert!(error_text(&moved, Lang::Zh).contains("刷新"));
    }

    #[test]
    fn a_bulk_answer_reports_only_what_failed() {
        let answer = r#"[[4,{"Ok":null}],[9,{"Err":"StaleVersion"}],[12,{"Err":{"Conflict":"LJ-100G: not enough stock (0 available)"}}]]"#;
        let report = BulkReport::of_answer(answer).expect("two failed");
        assert_eq!(report.done, 1);
        assert_eq!(report.failed, vec![(9, AppError::StaleVersion), (12, AppError::Conflict("LJ-100G: not enough stock (0 available)".into()))]);
        // What the address carries reads back the same.
        assert_eq!(serde_json::from_str::<BulkReport>(&serde_json::to_string(&report).unwrap()).unwrap(), report);
        assert_eq!(BulkReport::of_answer(r#"[[4,{"Ok":null}]]"#), None);
        // Another server function's answer (an id, a state) is not a report.
        assert_eq!(BulkReport::of_answer("17"), None);
        assert_eq!(BulkReport::of_answer(r#""paid""#), None);
    }

    #[test]
    fn a_report_replaces_what_an_earlier_post_left_in_the_address() {
        let report = BulkReport { done: 1, failed: vec![(9, AppError::StaleVersion)] };
        let address = report.address("/orders", "?state=paid&__path=%2Fapi%2Fx&__err=boom&__bulk=old&q=a%20b", "/api/confirm_orders");
        assert_eq!(address, "/orders?state=paid&q=a%20b&__path=%2Fapi%2Fconfirm_orders&__bulk=%7B%22done%22%3A1%2C%22failed%22%3A%5B%5B9%2C%22StaleVersion%22%5D%5D%7D");
        assert!(report.address("/orders", "", "/api/confirm_orders").starts_with("/orders?__path=%2Fapi%2Fconfirm_orders&__bulk="));
        // The report reads back from the address as the page reads it.
        let bulk = address.split("__bulk=").nth(1).unwrap();
        let decoded = leptos_router::location::Url::unescape(bulk);
        assert_eq!(serde_json::from_str::<BulkReport>(&decoded).unwrap(), report);
    }

    #[test]
    fn page_data_reads_back_what_the_server_wrote() {
        use leptos::server::codee::{string::JsonSerdeCodec, Decoder, Encoder};
        let info: Result<SessionInfo, AppError> = Ok(SessionInfo { actor: None, lang: Lang::Zh });
        let written = <JsonData as Encoder<_>>::encode(&info).unwrap();
        // The same text Leptos' own codec writes, so nothing between server and client changes.
        assert_eq!(written, <JsonSerdeCodec as Encoder<_>>::encode(&info).unwrap());
        let read: Result<SessionInfo, AppError> = <JsonData as Decoder<_>>::decode(&written).unwrap();
        assert_eq!(read.unwrap().lang, Lang::Zh);
        let refused: Result<Result<SessionInfo, AppError>, _> = <JsonData as Decoder<_>>::decode(r#"{"Err":"Forbidden"}"#);
        assert!(matches!(refused, Ok(Err(AppError::Forbidden))), "{refused:?}");
        assert!(<JsonData as Decoder<Result<SessionInfo, AppError>>>::decode("{not json").is_err());
    }

    /// `Resource::new` reads with another JSON reader than server functions do, which puts a
    /// second copy of every data type's deserializer into the WASM: pages use [`resource`].
    #[test]
    fn pages_load_their_data_through_one_json_reader() {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let needle = ["Resource", "::new("].concat();
                    found.extend(text.lines().enumerate().filter(|(_, l)| l.contains(&needle)).map(|(n, _)| format!("{}:{}", path.display(), n + 1)));
                }
            }
        }
        let mut found = Vec::new();
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
        assert!(found.is_empty(), "use components::resource instead of Resource::new at {found:?}");
    }
}
