//! The service desk in the interface: the queue (`/tickets`) with SLA countdowns, logging a
//! phone call (`/tickets/new`), one page per ticket with the conversation, internal notes,
//! questions to departments, the steps and the customer's history, and the departments'
//! own queue of questions (`/tasks`).

use super::api::{get_ticket, list_agents, list_department_tasks, list_tickets, ActOnTicket, AnswerDepartmentTask, OpenTicket, WriteOnTicket};
use super::pages::{Conversation, SendWithFiles};
use super::{countdown, label, QueueFilter, KINDS, PRIORITIES, TICKETS};
use crate::catalog::pages::failure;
use crate::components::{department_label_key, loading, route_id, step_form, PostForm, RequirePermission, StateBadge, Timeline};
use crate::domain::{format_time, price_label, Department, Permission};
use crate::engine::SlaStatus;
use crate::i18n::use_i18n;
use crate::components::resource;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use crate::components::use_query_map;

#[component]
pub fn TicketQueuePage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::TicketView><QueueInner/></RequirePermission> }
}

/// The SLA of a queue row as a countdown: "due in 45 min" or "2 h late".
fn sla_cell(sla: SlaStatus, now: i64) -> impl IntoView {
    let i18n = use_i18n();
    match sla {
        SlaStatus::None => ().into_any(),
        SlaStatus::OnTime { due_at } | SlaStatus::Breached { due_at } => {
            let (text, late) = countdown(due_at, now);
            let key = if late { "ticket.late" } else { "ticket.due_in" };
            view! {
                <span class="badge" class:sla-ok=!late class:sla-breached=late title=format_time(due_at) data-late=late.to_string()>
                    {move || i18n.t(key)().replace("{}", &text)}
                </span>
            }
            .into_any()
        }
    }
}

#[component]
fn QueueInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    let filter = move || QueueFilter { state: get("state"), mine: get("mine") == "1", priority: get("priority"), q: get("q") };
    let list = resource(filter, list_tickets);
    let can_log = crate::components::current_user().is_some_and(|a| a.can(Permission::TicketHandle));
    view! {
        <section class="page" data-page="tickets">
            <div class="page-head">
                <h1>{i18n.t("ticket.title")}</h1>
                <div class="actions">
                    {can_log.then(|| view! {
                        <a href="/tickets/new" class="button">{i18n.t("ticket.log_call")}</a>
                        <a href="/tickets/import" class="button secondary">{i18n.t("ticket.import_email")}</a>
                    })}
                    <a href="/tickets/dashboard" class="button secondary">{i18n.t("ticket.dashboard")}</a>
                    <a href="/tickets/calendar" class="button secondary">{i18n.t("ticket.calendar")}</a>
                    <a href="/tickets/replies" class="button secondary">{i18n.t("ticket.canned_replies")}</a>
                    <a href="/sop/ticket" class="button secondary">{i18n.t("improvement.sop")}</a>
                </div>
            </div>
            <details class="sla-alerts" open>
                <summary>{i18n.t("ticket.sla_alerts")}</summary>
                <crate::alerts::pages::AlertInbox kind="ticket_sla".to_string()/>
            </details>
            <form method="get" action="/tickets" class="filters">
                <label>{i18n.t("field.state")}
                    <select name="state">
                        <option value="open">{i18n.t("ticket.open_states")}</option>
                        <option value="all" selected=move || get("state") == "all">{i18n.t("audit.all")}</option>
                        {TICKETS.states.iter().map(|s| view! { <option value=s.id selected=move || get("state") == s.id>{move || s.name.get(i18n.lang())}</option> }).collect_view()}
                    </select>
                </label>
                <label>{i18n.t("ticket.priority")}
                    <select name="priority">
                        <option value="">{i18n.t("audit.all")}</option>
                        {PRIORITIES.iter().map(|(k, l)| view! { <option value=*k selected=move || get("priority") == *k>{move || l.get(i18n.lang())}</option> }).collect_view()}
                    </select>
                </label>
                <label class="inline"><input type="checkbox" name="mine" value="1" checked=move || get("mine") == "1"/>{i18n.t("ticket.mine_only")}</label>
                <label>{i18n.t("field.search")}<input name="q" value=move || get("q") placeholder="#12 / subject / customer"/></label>
                <button type="submit" class="secondary">{i18n.t("common.filter")}</button>
            </form>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let queue = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    if queue.tickets.is_empty() {
                        return view! { <p class="empty">{i18n.t("ticket.none")}</p> }.into_any();
                    }
                    let now = queue.now;
                    view! {
                        <div class="table-wrap">
                            <table class="data" data-testid="ticket-queue">
                                <thead><tr>
                                    <th>"#"</th><th>{i18n.t("ticket.subject")}</th><th>{i18n.t("order.customer")}</th><th>{i18n.t("field.kind")}</th>
                                    <th>{i18n.t("ticket.priority")}</th><th>{i18n.t("field.state")}</th><th>{i18n.t("ticket.owner")}</th><th>"SLA"</th>
                                </tr></thead>
                                <tbody>
                                    {queue.tickets.into_iter().map(|t| {
                                        let (kind, priority, channel) = (t.kind.clone(), t.priority.clone(), t.channel.clone());
                                        view! {
                                            <tr data-ticket=t.id data-priority=t.priority.clone()>
                                                <td><a href=format!("/tickets/{}", t.id)>{t.id}</a></td>
                                                <td><a href=format!("/tickets/{}", t.id)>{t.subject.clone()}</a>
                                                    {(t.open_tasks > 0).then(|| view! { " " <span class="badge" title="">{i18n.t("ticket.asked_department")}</span> })}</td>
                                                <td>{t.customer.clone()}<br/><span class="muted small">{move || label(&channel, i18n.lang())}</span></td>
                                                <td>{move || label(&kind, i18n.lang())}</td>
                                                <td><span class=format!("badge priority-{}", t.priority)>{move || label(&priority, i18n.lang())}</span></td>
                                                <td><StateBadge workflow=&TICKETS state=t.state.clone()/></td>
                                                <td>{t.assignee.clone().unwrap_or_else(|| "—".into())}</td>
                                                <td>{sla_cell(t.sla, now)}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

/// `/tickets/new`: an agent logs a phone call as a new ticket of the caller.
#[component]
pub fn TicketNewPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::TicketHandle><TicketNewInner/></RequirePermission> }
}

#[component]
fn TicketNewInner() -> impl IntoView {
    let i18n = use_i18n();
    let to = <OpenTicket as ServerFn>::PATH.to_string();
    let input = move |name: &'static str, key: &'static str| view! {
        <label data-field=name>{i18n.t(key)}
            <input name=format!("input[{name}]")/>
        </label>
    };
    view! {
        <section class="page narrow" data-page="ticket-new">
            <h1>{i18n.t("ticket.log_call")}</h1>
            <PostForm to then="/tickets/{}".to_string() class="form".to_string()>
                {input("customer_email", "ticket.caller_email")}
                <label data-field="kind">{i18n.t("field.kind")}
                    <select name="input[kind]">
                        {KINDS.iter().map(|(k, l)| view! { <option value=*k selected=*k == "inquiry">{l.get(i18n.lang())}</option> }).collect_view()}
                    </select>
                </label>
                {input("subject", "ticket.subject")}
                {input("order", "ticket.about_order")}
                <label data-field="message">{i18n.t("ticket.caller_said")}
                    <textarea name="input[message]" rows="5" maxlength="4000"></textarea>
                </label>
                <div class="actions"><button type="submit">{i18n.t("ticket.log_call")}</button></div>
            </PostForm>
        </section>
    }
}

#[component]
pub fn TicketDeskPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::TicketView><TicketDeskInner id=route_id("id")/></RequirePermission> }
}

/// Steps shown open on the ticket page; the others (notes, assignment, escalation, merging,
/// questions to the customer) are one click away.
const MAIN_STEPS: &[&str] = &["triage", "start", "reply", "resolve", "close"];

#[component]
fn TicketDeskInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let can_handle = crate::components::current_user().is_some_and(|a| a.can(Permission::TicketHandle));
    // The ticket's order comes with the ticket, for the steps an agent takes on it for the
    // customer.
    let detail = resource(
        move || id,
        move |id| async move {
            let d = get_ticket(id).await?;
            let order = match d.ticket.order_id {
                Some(o) if can_handle => crate::orders::api::get_order(o).await.ok(),
                _ => None,
            };
            Ok::<_, crate::domain::AppError>((d, order))
        },
    );
    let agents = resource(|| (), move |_| async move { if can_handle { list_agents().await.unwrap_or_default() } else { Vec::new() } });
    view! {
        <section class="page" data-page="ticket-detail">
            <p><a href="/tickets">"← " {i18n.t("ticket.title")}</a></p>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let (d, order) = match detail.await { Ok(d) => d, Err(e) => return failure(e) };
                    let staff = agents.await;
                    let t = d.ticket.clone();
                    let (tid, version) = (t.id, t.version);
                    let to = <ActOnTicket as ServerFn>::PATH;
                    let steps: Vec<&'static str> = TICKETS.actions.iter().map(|a| a.id).filter(|a| d.actions.iter().any(|x| x == a)).collect();
                    let can_reply = can_handle && steps.contains(&"reply");
                    let fact = |key: &'static str, value: Option<String>| value.map(|v| view! { <dt>{i18n.t(key)}</dt><dd class="prose">{v}</dd> });
                    let (kind, priority, channel) = (t.kind.clone(), t.priority.clone(), t.channel.clone());
                    let category = t.category.clone();
                    let root = d.root_cause.clone();
                    let open = super::OPEN.iter().any(|s| s.id == t.state);
                    // The clocks' "due in" reads against the time the server answered.
                    let now = d.served_at;
                    view! {
                        <div class="page-head">
                            <h1>"#" {t.id} " " {t.subject.clone()}</h1>
                            <div><StateBadge workflow=&TICKETS state=t.state.clone()/> " " <crate::components::SlaBadge sla=t.sla/></div>
                        </div>
                        <div class="columns">
                            <div>
                                <dl class="facts">
                                    <dt>{i18n.t("order.customer")}</dt><dd>{t.customer.clone()} " · " {d.history.email.clone()}</dd>
                                    <dt>{i18n.t("field.kind")}</dt><dd>{move || label(&kind, i18n.lang())} " · " {move || label(&channel, i18n.lang())}</dd>
                                    <dt>{i18n.t("ticket.priority")}</dt><dd><span class=format!("badge priority-{}", t.priority)>{move || label(&priority, i18n.lang())}</span>
                                        {category.map(|c| view! { " · " {move || label(&c, i18n.lang())} })}</dd>
                                    <dt>{i18n.t("ticket.owner")}</dt><dd data-testid="owner">{t.assignee.clone().unwrap_or_else(|| "—".into())}</dd>
                                    {t.order_id.map(|o| view! {
                                        <dt>{i18n.t("order.one")}</dt>
                                        <dd><a href=format!("/orders/{o}")>"#" {o}</a></dd>
                                    })}
                                    {(!d.exceptions.is_empty()).then(|| view! {
                                        <dt>{i18n.t("ticket.exceptions")}</dt>
                                        <dd><ul class="history" data-testid="ticket-exceptions">
                                            {d.exceptions.iter().map(|(id, order, kind, state)| {
                                                let kind = kind.clone();
                                                view! {
                                                    <li data-exception=*id><a href=format!("/orders/{order}#exceptions")>"#" {*id}</a> " "
                                                        {move || crate::orders::exceptions::kind_name(&kind, i18n.lang())} " "
                                                        <StateBadge workflow=&crate::orders::exceptions::EXCEPTIONS state=state.clone()/></li>
                                                }
                                            }).collect_view()}
                                        </ul></dd>
                                    })}
                                    {d.first_response_at.map(|at| view! { <dt>{i18n.t("ticket.first_response")}</dt><dd>{format_time(at)}</dd> })}
                                    {d.clocks.map(|c| view! {
                                        <dt>{i18n.t("ticket.clocks")}</dt>
                                        <dd><ul class="clocks" data-testid="clocks">
                                            <li data-clock="first">{i18n.t("ticket.clock_first")} ": " {clock_text(c.first_response, now)}</li>
                                            <li data-clock="next">{i18n.t("ticket.clock_next")} ": " {clock_text(c.next_response, now)}</li>
                                            <li data-clock="resolution">{i18n.t("ticket.clock_resolution")} ": " {clock_text(c.resolution, now)}</li>
                                        </ul></dd>
                                    })}
                                    {d.merged_into.map(|m| view! { <dt>{i18n.t("ticket.merged_into")}</dt><dd><a href=format!("/tickets/{m}")>"#" {m}</a></dd> })}
                                    {fact("field.problem", d.problem.clone())}
                                    {root.map(|r| view! { <dt>{i18n.t("ticket.root_cause")}</dt><dd data-testid="root-cause">{move || label(&r, i18n.lang())}</dd> })}
                                    {fact("field.solution", d.solution.clone())}
                                    {fact("ticket.customer_feedback", d.customer_feedback.clone())}
                                    {d.survey.clone().map(|s| view! {
                                        <dt>{i18n.t("ticket.survey")}</dt>
                                        <dd data-testid="survey-result">{match s.score {
                                            Some(n) => format!("{} {}", "★".repeat(n as usize), s.comment.unwrap_or_default()),
                                            None => format!("{} {}", i18n.t("ticket.survey_sent")(), format_time(s.sent_at)),
                                        }}</dd>
                                    })}
                                </dl>
                                <h2>{i18n.t("ticket.conversation")}</h2>
                                <Conversation messages=d.messages.clone()/>
                                {(!d.tasks.is_empty()).then(|| view! {
                                    <h2>{i18n.t("ticket.department_questions")}</h2>
                                    <ul class="tasks" data-testid="ticket-tasks">
                                        {d.tasks.iter().map(|k| view! { <li class="task">{task_item(k.clone())}</li> }).collect_view()}
                                    </ul>
                                })}
                                // The way forward stays open; the occasional steps fold away.
                                {steps.into_iter().map(|a| if a == "reply" {
                                    reply_form((tid, version)).into_any()
                                } else if MAIN_STEPS.contains(&a) {
                                    step_form(&TICKETS, a, to, (tid, version), staff.clone(), ()).into_any()
                                } else {
                                    let name = TICKETS.action(a).map(|x| x.label.get(i18n.lang())).unwrap_or(a);
                                    view! {
                                        <details class="step-more" data-step=a>
                                            <summary>{name}</summary>
                                            {step_form(&TICKETS, a, to, (tid, version), staff.clone(), ())}
                                        </details>
                                    }.into_any()
                                }).collect_view()}
                                {order.filter(|_| can_handle && open).map(|o| order_steps(o.order, tid))}
                                {(can_handle && open).then(|| view! {
                                    <div data-testid="log-call">
                                        <PostForm to={<WriteOnTicket as ServerFn>::PATH.to_string()} class="form step".to_string()>
                                            <h3>{i18n.t("ticket.log_call_here")}</h3>
                                            <input type="hidden" name="id" value=tid/>
                                            <textarea name="message" rows="2" maxlength="4000"></textarea>
                                            <button type="submit" class="secondary">{i18n.t("ticket.log_call_here")}</button>
                                        </PostForm>
                                    </div>
                                })}
                            </div>
                            <aside>
                                <KnowledgePanel can_use=can_reply/>
                                <h2>{i18n.t("ticket.history")}</h2>
                                <h3>{i18n.t("order.title")}</h3>
                                {if d.history.orders.is_empty() { view! { <p class="muted">"—"</p> }.into_any() } else { view! {
                                    <ul class="history" data-testid="history-orders">
                                        {d.history.orders.iter().map(|(id, state, total, at)| view! {
                                            <li><a href=format!("/orders/{id}")>"#" {*id}</a> " " <StateBadge workflow=&crate::orders::ORDERS state=state.clone()/>
                                                " " {price_label(*total)} <span class="muted small">" " {format_time(*at)}</span></li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any() }}
                                <h3>{i18n.t("ticket.earlier")}</h3>
                                {if d.history.tickets.is_empty() { view! { <p class="muted">"—"</p> }.into_any() } else { view! {
                                    <ul class="history">
                                        {d.history.tickets.iter().map(|(id, subject, state, _)| view! {
                                            <li><a href=format!("/tickets/{id}")>"#" {*id} " " {subject.clone()}</a> " " <StateBadge workflow=&TICKETS state=state.clone()/></li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any() }}
                                <h2>{i18n.t("improvement.history")}</h2>
                                <Timeline workflow=&TICKETS events=d.events.clone()/>
                            </aside>
                        </div>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

/// What an agent does on the ticket's order for the customer: file the return they asked for,
/// once the order has arrived, and report a shipping exception on a shipped parcel (to those
/// who may take the step; the server checks again). Either adds a note to the ticket.
fn order_steps(o: crate::orders::Order, ticket_id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let may_report = crate::orders::exceptions::EXCEPTIONS
        .action("report_for_customer")
        .is_some_and(|a| crate::components::current_user().is_some_and(|u| u.can(a.permission)));
    let parcels: Vec<(i64, String)> = if may_report {
        o.shipments
            .iter()
            .filter(|s| s.shipped_at.is_some())
            .map(|s| (s.id, format!("{} · {} {}", s.warehouse, s.carrier_name.as_ref().map(|c| c.get(i18n.lang())).unwrap_or(""), s.tracking_number.clone().unwrap_or_default())))
            .collect()
    } else {
        Vec::new()
    };
    let returnable = crate::orders::returns::RETURNABLE.contains(&o.state.as_str());
    let lines = if returnable { o.lines } else { Vec::new() };
    let order_id = o.id;
    view! {
        {(!lines.is_empty()).then(|| view! { <crate::orders::return_pages::ReturnRequestForm order_id lines ticket_id/> })}
        {(!parcels.is_empty()).then(|| view! { <crate::orders::exception_pages::ExceptionFromTicket ticket_id order_id parcels/> })}
    }
}

/// The reply step: its text (`#reply-draft`, which the knowledge base can fill), the files
/// going with it and the button, posted to `act_on_ticket` like the other steps.
fn reply_form((id, version): (i64, i64)) -> impl IntoView {
    let i18n = use_i18n();
    let a = TICKETS.action("reply");
    let name = a.map(|x| x.label.get(i18n.lang())).unwrap_or("reply");
    view! {
        <PostForm to={<ActOnTicket as ServerFn>::PATH.to_string()} class="form step".to_string() step="reply".to_string()>
            <h3>{name}</h3>
            <p class="sop">{a.map(|x| x.sop.get(i18n.lang())).unwrap_or("")}</p>
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="version" value=version/>
            <input type="hidden" name="action" value="reply"/>
            <label data-field="message">{a.and_then(|x| x.form.first()).map(|f| f.label.get(i18n.lang())).unwrap_or("")}
                <textarea id="reply-draft" name="fields[message]" rows="4" maxlength=super::MESSAGE_CHARS></textarea>
            </label>
            <SendWithFiles name="attachments".to_string() label=name.to_string() testid="reply".to_string()/>
        </PostForm>
    }
}

/// The knowledge base beside a ticket: canned replies (which start the reply, `#reply-draft`)
/// and the SOP steps of every process.
#[island]
fn KnowledgePanel(can_use: bool) -> impl IntoView {
    let i18n = use_i18n();
    let q = RwSignal::new(String::new());
    let search = Action::new(|(q, lang): &(String, String)| {
        let (q, lang) = (q.clone(), lang.clone());
        async move { super::api::search_knowledge(q, lang).await }
    });
    view! {
        <section class="knowledge" data-testid="knowledge">
            <h2>{i18n.t("ticket.knowledge")}</h2>
            <form class="inline" on:submit=move |ev| { ev.prevent_default(); search.dispatch((q.get_untracked(), i18n.lang().key().to_string())); }>
                <input name="kb" placeholder=move || i18n.t("ticket.knowledge_hint")() prop:value=move || q.get() on:input=move |ev| q.set(event_target_value(&ev))/>
                <button type="submit" class="secondary" data-testid="search-knowledge">{i18n.t("field.search")}</button>
            </form>
            {move || search.value().get().map(|r| match r {
                Err(e) => view! { <p class="form-error">{crate::components::error_text(&e, i18n.lang())}</p> }.into_any(),
                Ok(hits) if hits.is_empty() => view! { <p class="muted">{i18n.t("ticket.knowledge_none")}</p> }.into_any(),
                Ok(hits) => view! {
                    <ul class="kb-hits">
                        {hits.into_iter().map(|h| {
                            let body = h.text.clone();
                            view! {
                                <li data-kind=h.kind.clone()>
                                    <strong>{h.title.clone()}</strong>
                                    <p class="prose small">{h.text.clone()}</p>
                                    {(h.kind == "reply" && can_use).then(|| view! {
                                        <button type="button" class="secondary" data-testid="use-reply" on:click=move |_| use_reply(&body)>{i18n.t("ticket.use_reply")}</button>
                                    })}
                                    {(!h.link.is_empty()).then(|| view! { <a href=h.link.clone()>{i18n.t("improvement.sop")}</a> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </section>
    }
}

/// Starts the reply on the page with `text`.
fn use_reply(text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(draft) = document().get_element_by_id("reply-draft") {
        let _ = js_sys::Reflect::set(&draft, &"value".into(), &text.into());
        if let Some(el) = wasm_bindgen::JsCast::dyn_ref::<web_sys::HtmlElement>(&draft) {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

/// One service-level clock in words.
fn clock_text(c: super::sla::Clock, now: i64) -> impl IntoView {
    use super::sla::Clock;
    let i18n = use_i18n();
    let used = |ms: i64| super::countdown(ms, 0).0;
    match c {
        Clock::Met { used_ms } => view! { <span class="badge sla-ok">{i18n.t("ticket.clock_met")} " " {used(used_ms)}</span> }.into_any(),
        Clock::Breached { used_ms } => view! { <span class="badge sla-breached">{i18n.t("ticket.clock_breached")} " " {used(used_ms)}</span> }.into_any(),
        Clock::Paused { used_ms } => view! { <span class="badge">{i18n.t("ticket.clock_paused")} " " {used(used_ms)}</span> }.into_any(),
        Clock::Running { due_at } => sla_cell(SlaStatus::OnTime { due_at }, now).into_any(),
        Clock::None => view! { <span class="muted">"—"</span> }.into_any(),
    }
}

/// A question to a department as the ticket shows it.
fn task_item(k: super::TicketTask) -> impl IntoView {
    let i18n = use_i18n();
    let dept = Department::from_key(&k.department);
    view! {
        <div class="task-body" data-task=k.id data-answered=k.answered_at.is_some().to_string()>
            <strong>{dept.map(|d| i18n.t(department_label_key(d)))}</strong>
            <span class="muted small">" · " {k.asked_by.clone()} " · " {format_time(k.asked_at)}</span>
            <p class="prose">{k.question.clone()}</p>
            {match (k.answer.clone(), k.answered_by.clone()) {
                (Some(a), by) => view! {
                    <p class="notice" data-testid="task-answer"><strong>{by.unwrap_or_default()}</strong> " " {a}</p>
                }.into_any(),
                _ => view! { <p class="muted">{i18n.t("ticket.awaiting_answer")}</p> }.into_any(),
            }}
        </div>
    }
}

/// `/tasks`: the questions customer service asked the departments this user works in.
#[component]
pub fn DepartmentTasksPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::TicketTaskAnswer><TasksInner/></RequirePermission> }
}

#[component]
fn TasksInner() -> impl IntoView {
    let i18n = use_i18n();
    let list = resource(|| (), |_| list_department_tasks());
    view! {
        <section class="page" data-page="tasks">
            <h1>{i18n.t("ticket.tasks_title")}</h1>
            <p class="muted">{i18n.t("ticket.tasks_hint")}</p>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("ticket.no_tasks")}</p> }.into_any();
                    }
                    view! {
                        <ul class="tasks" data-testid="department-tasks">
                            {list.into_iter().map(|k| {
                                let id = k.id;
                                let open = k.answered_at.is_none();
                                view! {
                                    <li class="task">
                                        <p class="muted small">{i18n.t("ticket.one")} " #" {k.ticket_id} " · " {k.ticket_subject.clone()}</p>
                                        {task_item(k)}
                                        {open.then(|| view! {
                                            <div data-testid="answer-task">
                                                <PostForm to={<AnswerDepartmentTask as ServerFn>::PATH.to_string()} class="form".to_string()>
                                                    <input type="hidden" name="task_id" value=id/>
                                                    <label data-field="answer">{i18n.t("ticket.your_answer")}
                                                        <textarea name="answer" rows="3" maxlength="2000"></textarea>
                                                    </label>
                                                    <button type="submit">{i18n.t("ticket.send_answer")}</button>
                                                </PostForm>
                                            </div>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}
