//! The customer's side of the service desk: their requests (`/my/tickets`) with the form that
//! files a new one, and one page per request with the conversation, the reply box and the
//! satisfaction survey. Internal notes never reach these pages (the server leaves them out).

use super::api::{get_my_ticket, list_my_tickets, AnswerSurvey, OpenTicket, WriteOnTicket};
use super::{label, TicketDetail, TicketMessage, KINDS, TICKETS};
use crate::attachments::components::{AttachmentLinks, AttachmentPicker, PickedFiles};
use crate::catalog::pages::failure;
use crate::components::{loading, resource, route_id, PostForm, RequirePermission, StateBadge};
use crate::domain::{format_time, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use crate::components::use_query_map;

#[component]
pub fn MyTicketList() -> impl IntoView {
    view! { <RequirePermission permission=Permission::PortalPage><MyTicketListInner/></RequirePermission> }
}

#[component]
fn MyTicketListInner() -> impl IntoView {
    let i18n = use_i18n();
    let list = resource(|| (), |_| list_my_tickets());
    view! {
        <section class="page" data-page="my-tickets">
            <h1>{i18n.t("ticket.mine")}</h1>
            <div class="columns">
                <div>
                    <Suspense fallback=loading>
                        {move || Suspend::new(async move {
                            let list = match list.await { Ok(l) => l, Err(e) => return failure(e) };
                            if list.is_empty() {
                                return view! { <p class="empty">{i18n.t("ticket.none_mine")}</p> }.into_any();
                            }
                            view! {
                                <div class="table-wrap">
                                    <table class="data" data-testid="my-tickets">
                                        <thead><tr><th>"#"</th><th>{i18n.t("ticket.subject")}</th><th>{i18n.t("field.kind")}</th><th>{i18n.t("field.state")}</th><th>{i18n.t("ticket.updated")}</th></tr></thead>
                                        <tbody>
                                            {list.into_iter().map(|t| {
                                                let kind = t.kind.clone();
                                                view! {
                                                    <tr data-ticket=t.id>
                                                        <td><a href=format!("/my/tickets/{}", t.id)>{t.id}</a></td>
                                                        <td><a href=format!("/my/tickets/{}", t.id)>{t.subject}</a></td>
                                                        <td>{move || label(&kind, i18n.lang())}</td>
                                                        <td><StateBadge workflow=&TICKETS state=t.state/></td>
                                                        <td>{format_time(t.updated_at)}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any()
                        })}
                    </Suspense>
                </div>
                <aside><NewTicketForm/></aside>
            </div>
        </section>
    }
}

/// The customer's form: type, subject, optionally one of their orders, and the message.
/// `/my/tickets?order=12` comes preset with that order (the "ask about this order" link).
#[component]
fn NewTicketForm() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let preset = query.read_untracked().get("order").unwrap_or_default();
    let orders = resource(|| (), |_| crate::orders::api::my_orders());
    let kind = if preset.is_empty() { "inquiry" } else { "complaint" };
    view! {
        <div data-testid="new-ticket">
            <Suspense fallback=loading>
                {move || {
                    let preset = preset.clone();
                    Suspend::new(async move {
                        let orders = orders.await.unwrap_or_default();
                        view! {
                            <PostForm to={<OpenTicket as ServerFn>::PATH.to_string()} then="/my/tickets/{}".to_string() class="form".to_string()>
                                <h2>{i18n.t("ticket.new")}</h2>
                                <fieldset class="methods">
                                    {KINDS.iter().map(|(k, l)| view! {
                                        <label class="inline"><input type="radio" name="input[kind]" value=*k checked=*k == kind/>{l.get(i18n.lang())}</label>
                                    }).collect_view()}
                                </fieldset>
                                <label data-field="subject">{i18n.t("ticket.subject")}
                                    <input name="input[subject]" maxlength="200"/>
                                </label>
                                <label data-field="order">{i18n.t("ticket.about_order")}
                                    <select name="input[order]">
                                        <option value="">{i18n.t("ticket.no_order")}</option>
                                        {orders.into_iter().map(|o| {
                                            let id = o.id.to_string();
                                            let selected = preset == id;
                                            view! { <option value=id.clone() selected=selected>"#" {id.clone()} " · " {format_time(o.created_at)}</option> }
                                        }).collect_view()}
                                    </select>
                                </label>
                                <label data-field="message">{i18n.t("ticket.message")}
                                    <textarea name="input[message]" rows="5" maxlength="4000"></textarea>
                                </label>
                                <SendWithFiles name="input[attachments]".to_string() label=i18n.t("ticket.send")().to_string() testid="send-ticket".to_string()/>
                            </PostForm>
                        }
                    })
                }}
            </Suspense>
        </div>
    }
}

/// The files going with a form's message and the form's button, which waits for their
/// uploads: each picked file is uploaded at once and goes with the form by id, as
/// `name[0]`, `name[1]`… The rest of the form is rendered on the server.
#[island]
pub fn SendWithFiles(name: String, label: String, testid: String) -> impl IntoView {
    let picked = PickedFiles::new();
    let ids = move || {
        picked.files.with(|f| {
            f.iter().enumerate().map(|(n, a)| view! { <input type="hidden" name=format!("{name}[{n}]") value=a.id/> }).collect_view()
        })
    };
    view! {
        <AttachmentPicker picked/>
        {ids}
        <div class="actions"><button type="submit" data-testid=testid disabled=move || picked.uploading()>{label}</button></div>
    }
}

/// The conversation of a ticket, oldest first. Staff see internal notes marked as such.
#[component]
pub fn Conversation(messages: Vec<TicketMessage>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ol class="conversation" data-testid="conversation">
            {messages.into_iter().map(|m| {
                let class = if m.internal { "message internal" } else if m.from_customer { "message customer" } else { "message staff" };
                let channel = m.channel.clone();
                view! {
                    <li class=class data-message=m.id data-internal=m.internal.to_string()>
                        <div class="message-meta">
                            <strong>{m.author.clone()}</strong> " · " {format_time(m.at)}
                            {m.internal.then(|| view! { " · " <span class="badge">{i18n.t("ticket.internal")}</span> })}
                            {(m.from_customer && channel != "portal").then(|| view! { " · " {move || label(&channel, i18n.lang())}})}
                        </div>
                        <p class="prose">{m.body.clone()}</p>
                        <AttachmentLinks files=m.attachments.clone()/>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

#[component]
pub fn MyTicketPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::PortalPage><MyTicketInner id=route_id("id")/></RequirePermission> }
}

#[component]
fn MyTicketInner(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let detail = resource(move || id, get_my_ticket);
    view! {
        <section class="page" data-page="my-ticket">
            <p><a href="/my/tickets">"← " {i18n.t("ticket.mine")}</a></p>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let d: TicketDetail = match detail.await { Ok(d) => d, Err(e) => return failure(e) };
                    let t = d.ticket.clone();
                    let tid = t.id;
                    let can = |a: &str| d.actions.iter().any(|x| x == a);
                    let kind = t.kind.clone();
                    view! {
                        <div class="page-head">
                            <h1>"#" {t.id} " " {t.subject.clone()}</h1>
                            <div><StateBadge workflow=&TICKETS state=t.state.clone()/></div>
                        </div>
                        <p class="muted">{label(&kind, i18n.lang())} " · " {format_time(t.created_at)}
                            {t.order_id.map(|o| view! { " · " <a href=format!("/my/orders/{o}")>{i18n.t("order.one")} " #" {o}</a> })}
                        </p>
                        {d.merged_into.map(|m| view! { <p class="notice">{i18n.t("ticket.merged_into")} " " <a href=format!("/my/tickets/{m}")>"#" {m}</a></p> })}
                        {d.solution.clone().map(|s| view! { <p class="notice" data-testid="solution"><strong>{i18n.t("field.solution")}</strong> " " {s}</p> })}
                        <Conversation messages=d.messages.clone()/>
                        {can("write").then(|| view! {
                            <div data-testid="write">
                                <PostForm to={<WriteOnTicket as ServerFn>::PATH.to_string()} class="form".to_string()>
                                    <input type="hidden" name="id" value=tid/>
                                    <label data-field="message">{i18n.t("ticket.your_reply")}
                                        <textarea name="message" rows="4" maxlength="4000"></textarea>
                                    </label>
                                    {d.reopen_until.map(|u| view! { <p class="hint">{i18n.t("ticket.reopen_hint")} " " {format_time(u)}</p> })}
                                    <SendWithFiles name="attachments".to_string() label=i18n.t("ticket.send")().to_string() testid="send-reply".to_string()/>
                                </PostForm>
                            </div>
                        })}
                        {d.survey.clone().map(|s| match s.score {
                            Some(n) => view! {
                                <p class="notice" id="survey" data-testid="survey-done">{i18n.t("ticket.survey_thanks")} " " {"★".repeat(n as usize)}
                                    {s.comment.clone().filter(|c| !c.is_empty()).map(|c| view! { " — " {c} })}</p>
                            }.into_any(),
                            None => view! {
                                <div id="survey" data-testid="survey">
                                    <PostForm to={<AnswerSurvey as ServerFn>::PATH.to_string()} class="form survey".to_string()>
                                        <h2>{i18n.t("ticket.survey")}</h2>
                                        <input type="hidden" name="input[ticket_id]" value=tid/>
                                        <fieldset class="stars">
                                            // Sent while no star is chosen, so the server says to choose one.
                                            <input type="radio" name="input[score]" value="" checked hidden/>
                                            {(1..=5).map(|n| view! {
                                                <label class="inline"><input type="radio" name="input[score]" value=n.to_string()/>{n}</label>
                                            }).collect_view()}
                                        </fieldset>
                                        <label data-field="comment">{i18n.t("field.comment")}
                                            <textarea name="input[comment]" rows="2" maxlength="1000"></textarea>
                                        </label>
                                        <div class="actions"><button type="submit" data-testid="send-survey">{i18n.t("ticket.survey_send")}</button></div>
                                    </PostForm>
                                </div>
                            }.into_any(),
                        })}
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}

/// The service levels by priority, in business hours of the service calendar: the targets
/// the desk's clocks count against (printed under the ticket procedure).
#[component]
pub fn ServiceTargets() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page" data-testid="service-targets">
            <h2>{i18n.t("ticket.targets")}</h2>
            <p class="sop">{i18n.t("ticket.targets_help")}</p>
            <div class="table-wrap">
                <table class="data">
                    <thead><tr>
                        <th>{i18n.t("ticket.priority")}</th><th class="num">{i18n.t("ticket.clock_first")}</th>
                        <th class="num">{i18n.t("ticket.clock_next")}</th><th class="num">{i18n.t("ticket.clock_resolution")}</th>
                    </tr></thead>
                    <tbody>
                        {super::PRIORITIES.iter().map(|(key, name)| {
                            let t = super::sla::targets(key);
                            let h = |ms: i64| format!("{} h", ms / 3_600_000);
                            view! {
                                <tr data-priority=*key>
                                    <td>{move || name.get(i18n.lang())}</td>
                                    <td class="num">{h(t.first_ms)}</td><td class="num">{h(t.next_ms)}</td><td class="num">{h(t.resolution_ms)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
