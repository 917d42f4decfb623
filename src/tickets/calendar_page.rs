//! `/tickets/calendar`: the business calendar service levels are counted in, and the targets
//! per priority. Agents read it; supervisors change it.

use super::api::{get_service_calendar, SaveServiceCalendar};
use super::sla::targets;
use super::{label, PRIORITIES};
use crate::catalog::pages::failure;
use crate::components::{current_user, loading, resource, use_query_map, PostForm, RequirePermission};
use crate::domain::Permission;
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[component]
pub fn CalendarPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::TicketView><CalendarInner/></RequirePermission> }
}

const WEEKDAYS: [(&str, &str); 7] = [("Mon", "周一"), ("Tue", "周二"), ("Wed", "周三"), ("Thu", "周四"), ("Fri", "周五"), ("Sat", "周六"), ("Sun", "周日")];

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[component]
fn CalendarInner() -> impl IntoView {
    let i18n = use_i18n();
    let data = resource(|| (), |_| get_service_calendar());
    let can_edit = current_user().is_some_and(|a| a.can(Permission::TicketSupervise));
    // A save comes back to `?saved=1`.
    let saved = use_query_map().with_untracked(|q| q.get("saved").is_some());
    view! {
        <section class="page narrow" data-page="service-calendar">
            <p><a href="/tickets">"← " {i18n.t("ticket.title")}</a></p>
            <h1>{i18n.t("ticket.calendar")}</h1>
            <p class="muted">{i18n.t("ticket.calendar_hint")}</p>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    let d = match data.await { Ok(d) => d, Err(e) => return failure(e) };
                    let c = d.calendar;
                    let offset = c.tz_offset_minutes;
                    let tz = format!("{}{}", if offset < 0 { "-" } else { "+" }, hhmm(offset.unsigned_abs()));
                    let holidays = d.holidays.iter().map(|(day, name)| format!("{day} {name}")).collect::<Vec<_>>().join("\n");
                    let text = move |value: String, name: &'static str, key: &'static str| view! {
                        <label data-field=name>{i18n.t(key)}
                            <input name=format!("input[{name}]") value=value disabled=!can_edit/>
                        </label>
                    };
                    view! {
                        <div data-testid="calendar">
                            <PostForm to={<SaveServiceCalendar as ServerFn>::PATH.to_string()} then="/tickets/calendar?saved=1".to_string() class="form".to_string()>
                                {text(tz, "time_zone", "ticket.time_zone")}
                                <div class="row">{text(hhmm(c.open_minute), "opens", "ticket.opens")}{text(hhmm(c.close_minute), "closes", "ticket.closes")}</div>
                                // A choice per day, so that every day is sent (a checkbox that is not
                                // ticked is not).
                                <fieldset class="methods" data-field="workdays">
                                    <legend>{i18n.t("ticket.workdays")}</legend>
                                    {WEEKDAYS.iter().enumerate().map(|(i, (en, zh))| view! {
                                        <label class="inline" data-day=*en>
                                            {if i18n.lang() == crate::i18n::Lang::Zh { *zh } else { *en }}
                                            <select name=format!("input[workdays][{i}]") disabled=!can_edit>
                                                <option value="true" selected=c.workdays[i]>"✓"</option>
                                                <option value="false" selected=!c.workdays[i]>"—"</option>
                                            </select>
                                        </label>
                                    }).collect_view()}
                                </fieldset>
                                <label data-field="holidays">{i18n.t("ticket.holidays")}
                                    <textarea name="input[holidays]" rows="6" disabled=!can_edit placeholder="2026-10-01 National Day">{holidays}</textarea>
                                </label>
                                {saved.then(|| view! { <p class="notice" data-testid="saved">{i18n.t("ticket.saved")}</p> })}
                                {can_edit.then(|| view! { <div class="actions"><button type="submit" data-testid="save-calendar">{i18n.t("common.save")}</button></div> })}
                            </PostForm>
                        </div>
                        <h2>{i18n.t("ticket.targets")}</h2>
                        <table class="data" data-testid="targets">
                            <thead><tr><th>{i18n.t("ticket.priority")}</th><th class="num">{i18n.t("ticket.clock_first")}</th>
                                <th class="num">{i18n.t("ticket.clock_next")}</th><th class="num">{i18n.t("ticket.clock_resolution")}</th></tr></thead>
                            <tbody>
                                {PRIORITIES.iter().map(|(p, _)| {
                                    let t = targets(p);
                                    let h = |ms: i64| format!("{} h", ms / 3_600_000);
                                    view! { <tr><td>{label(p, i18n.lang())}</td><td class="num">{h(t.first_ms)}</td><td class="num">{h(t.next_ms)}</td><td class="num">{h(t.resolution_ms)}</td></tr> }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}
