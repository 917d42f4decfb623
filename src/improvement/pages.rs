//! Pages of improvement suggestions: the list, the submission form, one suggestion with its
//! timeline and next steps, and the SOP document with its flowchart.

use super::api::{get_suggestion, list_suggestions, ActOnSuggestion, SubmitSuggestion};
use super::{Suggestion, SuggestionFilter, SUGGESTIONS};
use crate::components::{
    department_label_key, error_text, resource, step_form, use_query_map, workflow_fields, PostForm, RequirePermission,
    SlaBadge, StateBadge, Timeline,
};
use crate::domain::{format_time, Department, Permission};
use crate::i18n::{tr, use_i18n};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

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

#[component]
fn ListInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let state = move || query.read().get("state").unwrap_or_default();
    let mine = move || query.read().get("mine").is_some_and(|m| m == "on");
    let items = resource(
        move || (state(), mine()),
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
            <form method="get" action="/improvement" class="filters">
                <label>{i18n.t("field.state")}
                    <select name="state">
                        <option value="">{i18n.t("audit.all")}</option>
                        {SUGGESTIONS.states.iter().map(|s| view! { <option value=s.id selected=state() == s.id>{s.name.get(i18n.lang())}</option> }).collect_view()}
                    </select>
                </label>
                <label class="check"><input type="checkbox" name="mine" checked=mine()/>{i18n.t("improvement.mine")}</label>
                <button type="submit" class="secondary">{i18n.t("common.filter")}</button>
            </form>
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

#[component]
fn NewInner() -> impl IntoView {
    let i18n = use_i18n();
    let action = SUGGESTIONS.action("submit").expect("declared");
    view! {
        <section class="page narrow" data-page="improvement-new">
            <h1>{i18n.t("improvement.new")}</h1>
            <p class="sop">{action.sop.get(i18n.lang())}</p>
            <PostForm to={<SubmitSuggestion as ServerFn>::PATH.to_string()} then="/improvement/{}".to_string() class="form".to_string()>
                {workflow_fields(action, vec![])}
                <button type="submit">{action.label.get(i18n.lang())}</button>
            </PostForm>
        </section>
    }
}

#[component]
pub fn SuggestionPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::SuggestionView><DetailInner id=crate::components::route_id("id")/></RequirePermission> }
}

#[component]
fn DetailInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let detail = resource(move || id, get_suggestion);
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
                    let to = <ActOnSuggestion as ServerFn>::PATH;
                    let forms = d.actions.iter().filter_map(|a| SUGGESTIONS.action(a))
                        .map(|a| step_form(&SUGGESTIONS, a.id, to, (s.id, s.version), d.staff.clone(), ()))
                        .collect_view();
                    view! {
                        <div class="page-head">
                            <h1>{format!("#{} {}", s.id, s.title)}</h1>
                            <div><StateBadge workflow=&SUGGESTIONS state=s.state.clone()/> " " <SlaBadge sla=s.sla/></div>
                        </div>
                        <div class="columns">
                            <div>
                                <dl class="facts">
                                    <dt>{i18n.t("field.department")}</dt><dd>{department_name(&s.department)}</dd>
                                    <dt>{i18n.t("field.step")}</dt><dd>{s.step}</dd>
                                    <dt>{i18n.t("field.submitted_by")}</dt><dd>{s.submitter_name} " · " {format_time(s.created_at)}</dd>
                                    <dt>{i18n.t("field.owner")}</dt><dd data-testid="owner">{s.owner_name.unwrap_or_else(|| "—".into())}</dd>
                                    <dt>{i18n.t("field.problem")}</dt><dd class="prose">{s.problem}</dd>
                                    <dt>{i18n.t("field.proposal")}</dt><dd class="prose">{s.proposal}</dd>
                                    {s.decision.map(|t| view! { <dt>{i18n.t("field.decision")}</dt><dd class="prose">{t}</dd> })}
                                    {s.implementation_note.map(|t| view! { <dt>{i18n.t("field.implementation")}</dt><dd class="prose">{t}</dd> })}
                                </dl>
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
