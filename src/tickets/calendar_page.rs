//! `/tickets/calendar`: the business calendar service levels are counted in, and the targets
//! per priority. Agents read it; supervisors change it.

use super::api::{get_service_calendar, save_service_calendar};
use super::sla::targets;
use super::{label, CalendarInput, PRIORITIES};
use crate::catalog::pages::failure;
use crate::components::{current_user, loading, successes, resource, FieldError, FormError, RequirePermission};
use crate::domain::Permission;
use crate::i18n::use_i18n;
use leptos::prelude::*;

#[component]
pub fn CalendarPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::TicketView><CalendarInner/></RequirePermission> }
}

const WEEKDAYS: [(&str, &str); 7] = [("Mon", "周一"), ("Tue", "周二"), ("Wed", "周三"), ("Thu", "周四"), ("Fri", "周五"), ("Sat", "周六"), ("Sun", "周日")];

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[island]
fn CalendarInner() -> impl IntoView {
    let i18n = use_i18n();
    let save = Action::new(|input: &CalendarInput| {
        let input = input.clone();
        async move { save_service_calendar(input).await }
    });
    let saved = successes(save);
    let result = Signal::derive(move || save.value().get());
    let data = resource(move || saved.get(), |_| get_service_calendar());
    let can_edit = current_user().is_some_and(|a| a.can(Permission::TicketSupervise));
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
                    let tz = RwSignal::new(format!("{}{}", if offset < 0 { "-" } else { "+" }, hhmm(offset.unsigned_abs())));
                    let opens = RwSignal::new(hhmm(c.open_minute));
                    let closes = RwSignal::new(hhmm(c.close_minute));
                    let days: [RwSignal<bool>; 7] = std::array::from_fn(|i| RwSignal::new(c.workdays[i]));
                    let holidays = RwSignal::new(d.holidays.iter().map(|(day, name)| format!("{day} {name}")).collect::<Vec<_>>().join("\n"));
                    let text = move |sig: RwSignal<String>, name: &'static str, key: &'static str| view! {
                        <label data-field=name>{i18n.t(key)}
                            <input name=name disabled=!can_edit prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
                        </label>
                        <FieldError result field=name/>
                    };
                    view! {
                        <form class="form" data-testid="calendar" on:submit=move |ev| {
                            ev.prevent_default();
                            save.dispatch(CalendarInput {
                                time_zone: tz.get_untracked(),
                                opens: opens.get_untracked(),
                                closes: closes.get_untracked(),
                                workdays: days.iter().map(|d| d.get_untracked()).collect(),
                                holidays: holidays.get_untracked(),
                            });
                        }>
                            {text(tz, "time_zone", "ticket.time_zone")}
                            <div class="row">{text(opens, "opens", "ticket.opens")}{text(closes, "closes", "ticket.closes")}</div>
                            <fieldset class="methods" data-field="workdays">
                                <legend>{i18n.t("ticket.workdays")}</legend>
                                {WEEKDAYS.iter().enumerate().map(|(i, (en, zh))| {
                                    let sig = days[i];
                                    view! {
                                        <label class="inline"><input type="checkbox" name="workday" value=*en disabled=!can_edit
                                            prop:checked=move || sig.get() on:change=move |ev| sig.set(event_target_checked(&ev))/>
                                            {move || if i18n.lang() == crate::i18n::Lang::Zh { *zh } else { *en }}</label>
                                    }
                                }).collect_view()}
                            </fieldset>
                            <FieldError result field="workdays"/>
                            <label data-field="holidays">{i18n.t("ticket.holidays")}
                                <textarea name="holidays" rows="6" disabled=!can_edit placeholder="2026-10-01 National Day"
                                    prop:value=move || holidays.get() on:input=move |ev| holidays.set(event_target_value(&ev))></textarea>
                            </label>
                            <FieldError result field="holidays"/>
                            <FormError result fields=&["time_zone", "opens", "closes", "workdays", "holidays"]/>
                            {move || (saved.get() > 0).then(|| view! { <p class="notice" data-testid="saved">{i18n.t("ticket.saved")}</p> })}
                            {can_edit.then(|| view! { <div class="actions"><button type="submit" data-testid="save-calendar">{i18n.t("common.save")}</button></div> })}
                        </form>
                        <h2>{i18n.t("ticket.targets")}</h2>
                        <table class="data" data-testid="targets">
                            <thead><tr><th>{i18n.t("ticket.priority")}</th><th class="num">{i18n.t("ticket.clock_first")}</th>
                                <th class="num">{i18n.t("ticket.clock_next")}</th><th class="num">{i18n.t("ticket.clock_resolution")}</th></tr></thead>
                            <tbody>
                                {PRIORITIES.iter().map(|(p, _)| {
                                    let t = targets(p);
                                    let h = |ms: i64| format!("{} h", ms / 3_600_000);
                                    view! { <tr><td>{move || label(p, i18n.lang())}</td><td class="num">{h(t.first_ms)}</td><td class="num">{h(t.next_ms)}</td><td class="num">{h(t.resolution_ms)}</td></tr> }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                })}
            </Transition>
        </section>
    }
}
