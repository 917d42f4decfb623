//! Pages of improvement suggestions: the list, the submission form, one suggestion with its
//! timeline and next steps, and the SOP document with its flowchart.

use super::api::{get_suggestion, list_suggestions, ActOnSuggestion, SubmitSuggestion};
use super::{Suggestion, SuggestionFilter, SUGGESTIONS};
use crate::components::{
    department_label_key, error_text, workflow_fields, FieldError, FormError, RequirePermission, SlaBadge, StateBadge,
    Timeline,
};
use crate::domain::{format_time, Department, Permission};
use crate::i18n::{tr, use_i18n};
use crate::components::resource;
use leptos::prelude::*;
use crate::components::go_to;

fn department_name(key: &str) -> &'static str {
    let i18n = use_i18n();
    Department::from_key(key).map(|d| tr(i18n.lang(), department_label_key(d))).unwrap_or("?")
}

/// A table of suggestions, shared by the list, the dashboard and department pages.
#[component]
pub fn SuggestionTable(items: Vec<Suggestion>) -> impl IntoView {
    let i18n = use_i18n();
    if items.is_empty() {
        return view! { <p class="empty">{i18n.t("improvement.none")}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead><tr>
                    <th>"#"</th><th>{i18n.t("field.title")}</th><th>{i18n.t("field.department")}</th>
                    <th>{i18n.t("field.state")}</th><th>{i18n.t("field.owner")}</th><th>"SLA"</th>
                </tr></thead>
                <tbody>
                    {items.into_iter().map(|s| {
                        let dept = s.department.clone();
                        view! {
                            <tr data-suggestion=s.id>
                                <td>{s.id}</td>
                                <td><a href=format!("/improvement/{}", s.id)>{s.title}</a></td>
                                <td>{move || department_name(&dept)}</td>
                                <td><StateBadge workflow=&SUGGESTIONS state=s.state/></td>
                                <td>{s.owner_name.unwrap_or_default()}</td>
                                <td><SlaBadge sla=s.sla/></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn SuggestionList() -> impl IntoView {
    view! { <RequirePermission permission=Permission::SuggestionView><ListInner/></RequirePermission> }
}

#[island]
fn ListInner() -> impl IntoView {
    let i18n = use_i18n();
    let state = RwSignal::new(String::new());
    let mine = RwSignal::new(false);
    let items = resource(
        move || (state.get(), mine.get()),
        |(state, mine)| list_suggestions(SuggestionFilter { state: (!state.is_empty()).then_some(state), department: None, mine }),
    );
    let can_submit = crate::components::current_user().is_some_and(|a| a.can(Permission::SuggestionSubmit));
    view! {
        <section class="page" data-page="improvement">
            <div class="page-head">
                <h1>{i18n.t("nav.improvement")}</h1>
                <div class="actions">
                    <a href="/improvement/sop" class="button secondary">{i18n.t("improvement.sop")}</a>
                    {can_submit.then(|| view! { <a href="/improvement/new" class="button" data-testid="new-suggestion">{i18n.t("improvement.new")}</a> })}
                </div>
            </div>
            <div class="filters">
                <label>{i18n.t("field.state")}
                    <select on:change=move |ev| state.set(event_target_value(&ev))>
                        <option value="">{i18n.t("audit.all")}</option>
                        {SUGGESTIONS.states.iter().map(|s| view! { <option value=s.id>{move || s.name.get(i18n.lang())}</option> }).collect_view()}
                    </select>
                </label>
                <label class="check"><input type="checkbox" on:change=move |ev| mine.set(event_target_checked(&ev))/>{i18n.t("improvement.mine")}</label>
            </div>
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match items.await {
                        Ok(list) => view! { <SuggestionTable items=list/> }.into_any(),
                        Err(e) => view! { <p class="form-error">{error_text(&e, i18n.lang())}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn SuggestionNew() -> impl IntoView {
    view! { <RequirePermission permission=Permission::SuggestionSubmit><NewInner/></RequirePermission> }
}

#[island]
fn NewInner() -> impl IntoView {
    let i18n = use_i18n();
    let submit = ServerAction::<SubmitSuggestion>::new();
    let result = Signal::derive(move || submit.value().get());
    Effect::new(move |_| {
        if let Some(Ok(id)) = submit.value().get() {
            go_to(&format!("/improvement/{id}"));
        }
    });
    let action = SUGGESTIONS.action("submit").expect("declared");
    let names: &'static [&'static str] = &["title", "department", "step", "problem", "proposal"];
    view! {
        <section class="page narrow" data-page="improvement-new">
            <h1>{i18n.t("improvement.new")}</h1>
            <p class="sop">{move || action.sop.get(i18n.lang())}</p>
            <ActionForm action=submit attr:class="form">
                {workflow_fields(action, vec![])}
                {names.iter().map(|f| view! { <FieldError result field=f/> }).collect_view()}
                <FormError result fields=names/>
                <button type="submit">{move || action.label.get(i18n.lang())}</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn SuggestionPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::SuggestionView><DetailInner id=crate::components::route_id("id")/></RequirePermission> }
}

#[island]
fn DetailInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let id = move || id;
    let act = ServerAction::<ActOnSuggestion>::new();
    let done = crate::components::successes(act.into());
    let detail = resource(move || (id(), done.get()), |(id, _)| get_suggestion(id));
    let result = Signal::derive(move || act.value().get());
    view! {
        <section class="page" data-page="improvement-detail">
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    let d = match detail.await {
                        Ok(d) => d,
                        Err(crate::domain::AppError::NotFound) => return view! { <crate::components::NotFound/> }.into_any(),
                        Err(e) => return view! { <p class="form-error">{error_text(&e, i18n.lang())}</p> }.into_any(),
                    };
                    let s = d.suggestion;
                    let dept = s.department.clone();
                    let forms = d.actions.iter().filter_map(|a| SUGGESTIONS.action(a)).map(|a| {
                        let fields = workflow_fields(a, d.staff.clone());
                        view! {
                            <ActionForm action=act attr:class="form step" attr:data-action=a.id>
                                <h3>{move || a.label.get(i18n.lang())}</h3>
                                <p class="sop">{move || a.sop.get(i18n.lang())}</p>
                                <input type="hidden" name="id" value=s.id/>
                                <input type="hidden" name="version" value=s.version/>
                                <input type="hidden" name="action" value=a.id/>
                                {fields}
                                <button type="submit">{move || a.label.get(i18n.lang())}</button>
                            </ActionForm>
                        }
                    }).collect_view();
                    view! {
                        <div class="page-head">
                            <h1>{format!("#{} {}", s.id, s.title)}</h1>
                            <div><StateBadge workflow=&SUGGESTIONS state=s.state.clone()/> " " <SlaBadge sla=s.sla/></div>
                        </div>
                        <div class="columns">
                            <div>
                                <dl class="facts">
                                    <dt>{i18n.t("field.department")}</dt><dd>{move || department_name(&dept)}</dd>
                                    <dt>{i18n.t("field.step")}</dt><dd>{s.step}</dd>
                                    <dt>{i18n.t("field.submitted_by")}</dt><dd>{s.submitter_name} " · " {format_time(s.created_at)}</dd>
                                    <dt>{i18n.t("field.owner")}</dt><dd data-testid="owner">{s.owner_name.unwrap_or_else(|| "—".into())}</dd>
                                    <dt>{i18n.t("field.problem")}</dt><dd class="prose">{s.problem}</dd>
                                    <dt>{i18n.t("field.proposal")}</dt><dd class="prose">{s.proposal}</dd>
                                    {s.decision.map(|t| view! { <dt>{i18n.t("field.decision")}</dt><dd class="prose">{t}</dd> })}
                                    {s.implementation_note.map(|t| view! { <dt>{i18n.t("field.implementation")}</dt><dd class="prose">{t}</dd> })}
                                </dl>
                                <FormError result/>
                                <FieldError result field="reason"/>
                                <FieldError result field="owner"/>
                                <FieldError result field="note"/>
                                {forms}
                            </div>
                            <aside>
                                <h2>{i18n.t("improvement.history")}</h2>
                                <Timeline workflow=&SUGGESTIONS events=d.events/>
                            </aside>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

/// The SOP of the suggestion process (also reachable as `/sop/improvement`).
#[component]
pub fn ProcessSop() -> impl IntoView {
    view! { <RequirePermission permission=Permission::SuggestionView><crate::components::SopDocument workflow=&SUGGESTIONS/></RequirePermission> }
}
