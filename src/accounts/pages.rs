//! Pages of accounts: sign-in, registration, the account page, the customer portal home and
//! the admin pages for users, roles and the audit log.

use super::api::{
    audit_log, create_role, create_staff, delete_role, list_roles, list_users, rename_role, set_role_permissions,
    set_user_active, set_user_roles, ChangePassword, Login, Register,
};
use super::{RoleRow, UserRow};
use crate::components::{current_user, error_text, resource, FieldError, FormError, PostForm, RequirePermission, RequireUser};
use leptos::server_fn::ServerFn;
use crate::domain::{format_time, AppError, Permission};
use crate::i18n::use_i18n;
use leptos::prelude::*;
use crate::components::Redirect;

#[component]
pub fn LoginPage() -> impl IntoView {
    let i18n = use_i18n();
    if current_user().is_some() {
        return view! { <Redirect path="/"/> }.into_any();
    }
    view! {
        <section class="page narrow" data-page="login">
            <h1>{i18n.t("login.title")}</h1>
            // After sign-in every part of the page (navigation, permissions) is rendered afresh.
            <PostForm to={<Login as ServerFn>::PATH.to_string()} then="/".to_string() class="form".to_string()>
                <label data-field="email">{i18n.t("field.email")}
                    <input type="email" name="email" autocomplete="username" required/>
                </label>
                <label data-field="password">{i18n.t("field.password")}
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <button type="submit">{i18n.t("login.submit")}</button>
            </PostForm>
            <p>{i18n.t("login.customer_hint")} " " <a href="/register">{i18n.t("login.register")}</a></p>
        </section>
    }
    .into_any()
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page narrow" data-page="register">
            <h1>{i18n.t("register.title")}</h1>
            <PostForm to={<Register as ServerFn>::PATH.to_string()} then="/portal".to_string() class="form".to_string()>
                <label data-field="name">{i18n.t("field.name")}<input name="name" autocomplete="name" required/></label>
                <label data-field="email">{i18n.t("field.email")}<input type="email" name="email" autocomplete="email" required/></label>
                <label data-field="password">{i18n.t("field.password")}<input type="password" name="password" autocomplete="new-password" required/></label>
                <button type="submit">{i18n.t("register.submit")}</button>
            </PostForm>
        </section>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    view! { <RequireUser><AccountInner/></RequireUser> }
}

#[component]
fn AccountInner() -> impl IntoView {
    let i18n = use_i18n();
    let actor = current_user();
    // The form comes back here with `?changed` once the password was changed.
    let changed = crate::components::use_query_map().with_untracked(|q| q.get("changed").is_some());
    view! {
        <section class="page narrow" data-page="account">
            <h1>{i18n.t("account.title")}</h1>
            {actor.map(|a| view! {
                <dl class="facts">
                    <dt>{i18n.t("field.name")}</dt><dd>{a.name}</dd>
                    <dt>{i18n.t("field.email")}</dt><dd>{a.email}</dd>
                    <dt>{i18n.t("field.roles")}</dt><dd data-testid="my-roles">{a.roles.join(", ")}</dd>
                </dl>
            })}
            <h2>{i18n.t("account.change_password")}</h2>
            {changed.then(|| view! { <p class="ok" role="status">{i18n.t("account.password_changed")}</p> })}
            <PostForm to={<ChangePassword as ServerFn>::PATH.to_string()} then="/account?changed".to_string() class="form".to_string()>
                <label data-field="current_password">{i18n.t("field.current_password")}
                    <input type="password" name="current_password" autocomplete="current-password" required/>
                </label>
                <label data-field="new_password">{i18n.t("field.new_password")}
                    <input type="password" name="new_password" autocomplete="new-password" required/>
                </label>
                <button type="submit">{i18n.t("account.change_password")}</button>
            </PostForm>
        </section>
    }
}

/// The customer's home in the portal.
#[component]
pub fn PortalHome() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <RequirePermission permission=Permission::PortalPage>
            <section class="page" data-page="portal">
                <h1>{i18n.t("portal.title")}</h1>
                <p>{move || format!("{} {}", i18n.t("portal.welcome")(), current_user().map(|a| a.name).unwrap_or_default())}</p>
                <div class="cards">
                    <a class="card" href="/catalog">
                        <h2>{i18n.t("catalog.title")}</h2>
                        <p>{i18n.t("portal.catalog_hint")}</p>
                    </a>
                    <a class="card" href="/cart">
                        <h2>{i18n.t("cart.title")}</h2>
                        <p>{i18n.t("portal.cart_hint")}</p>
                    </a>
                    <a class="card" href="/my/orders">
                        <h2>{i18n.t("order.mine")}</h2>
                        <p>{i18n.t("portal.orders_hint")}</p>
                    </a>
                    <a class="card" href="/my/tickets">
                        <h2>{i18n.t("ticket.mine")}</h2>
                        <p>{i18n.t("portal.tickets_hint")}</p>
                    </a>
                    <a class="card" href="/my/addresses">
                        <h2>{i18n.t("address.title")}</h2>
                        <p>{i18n.t("portal.addresses_hint")}</p>
                    </a>
                    <a class="card" href="/account">
                        <h2>{i18n.t("account.title")}</h2>
                        <p>{i18n.t("portal.account_hint")}</p>
                    </a>
                </div>
            </section>
        </RequirePermission>
    }
}

fn toggle<T: PartialEq + Clone>(list: &mut Vec<T>, item: T, on: bool) {
    list.retain(|x| *x != item);
    if on {
        list.push(item);
    }
}

#[component]
pub fn AdminUsers() -> impl IntoView {
    view! { <RequirePermission permission=Permission::UserManage><AdminUsersInner/></RequirePermission> }
}

#[island]
fn AdminUsersInner() -> impl IntoView {
    let i18n = use_i18n();
    let users = resource(|| (), |_| list_users());
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let roles = RwSignal::new(Vec::<i64>::new());
    let create = Action::new(move |_: &()| {
        let (n, e, p, r) = (name.get_untracked(), email.get_untracked(), password.get_untracked(), roles.get_untracked());
        async move { create_staff(n, e, p, r).await }
    });
    let created = Signal::derive(move || create.value().get());
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
            email.set(String::new());
            password.set(String::new());
            roles.set(Vec::new());
            users.refetch();
        }
    });
    let update = Action::new(move |op: &UserOp| {
        let op = op.clone();
        async move {
            match op {
                UserOp::Roles(id, r) => set_user_roles(id, r).await,
                UserOp::Active(id, a) => set_user_active(id, a).await,
            }
        }
    });
    let updated: Signal<Option<Result<(), AppError>>> = Signal::derive(move || update.value().get());
    Effect::new(move |_| {
        if update.value().get().is_some() {
            users.refetch();
        }
    });
    view! {
        <section class="page" data-page="admin-users">
            <h1>{i18n.t("nav.users")}</h1>
            <FormError result=updated/>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Err(e) => view! { <p class="form-error">{error_text(&e, i18n.lang())}</p> }.into_any(),
                        Ok(page) => {
                            let role_options = page.roles.clone();
                            let rows = page.users.into_iter().map(|u| user_row(u, role_options.clone(), update)).collect_view();
                            let role_checks = page.roles.into_iter().map(|(id, rname)| view! {
                                <label class="check">
                                    <input type="checkbox" data-role=rname.clone()
                                        prop:checked=move || roles.get().contains(&id)
                                        on:change=move |ev| { let on = event_target_checked(&ev); roles.update(|r| toggle(r, id, on)); }/>
                                    {rname.clone()}
                                </label>
                            }).collect_view();
                            view! {
                                <div class="table-wrap">
                                    <table class="data">
                                        <thead><tr>
                                            <th>{i18n.t("field.name")}</th><th>{i18n.t("field.email")}</th>
                                            <th>{i18n.t("field.roles")}</th><th>{i18n.t("field.status")}</th>
                                        </tr></thead>
                                        <tbody>{rows}</tbody>
                                    </table>
                                </div>
                                <h2>{i18n.t("users.new_staff")}</h2>
                                <form class="form" data-testid="new-staff" on:submit=move |ev| { ev.prevent_default(); create.dispatch(()); }>
                                    <label>{i18n.t("field.name")}<input name="name" bind:value=name required/></label>
                                    <FieldError result=created field="name"/>
                                    <label>{i18n.t("field.email")}<input type="email" name="email" bind:value=email required/></label>
                                    <FieldError result=created field="email"/>
                                    <label>{i18n.t("field.password")}<input type="password" name="password" bind:value=password required/></label>
                                    <FieldError result=created field="password"/>
                                    <fieldset class="checks"><legend>{i18n.t("field.roles")}</legend>{role_checks}</fieldset>
                                    <FormError result=created fields=&["name", "email", "password"]/>
                                    <button type="submit">{i18n.t("users.create")}</button>
                                </form>
                            }.into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[derive(Clone)]
enum UserOp {
    Roles(i64, Vec<i64>),
    Active(i64, bool),
}

fn user_row(u: UserRow, roles: Vec<(i64, String)>, update: Action<UserOp, Result<(), AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let current = u.role_ids.clone();
    let id = u.id;
    let checks = roles
        .into_iter()
        .map(|(rid, rname)| {
            let on = current.contains(&rid);
            let current = current.clone();
            view! {
                <label class="check small">
                    <input type="checkbox" data-role=rname.clone() prop:checked=on on:change=move |ev| {
                        let mut next = current.clone();
                        toggle(&mut next, rid, event_target_checked(&ev));
                        update.dispatch(UserOp::Roles(id, next));
                    }/>
                    {rname.clone()}
                </label>
            }
        })
        .collect_view();
    let active = u.active;
    view! {
        <tr data-user=u.email.clone()>
            <td>{u.name}</td>
            <td>{u.email.clone()}</td>
            <td><details><summary>{u.role_ids.len()} " " {i18n.t("field.roles")}</summary><div class="checks">{checks}</div></details></td>
            <td>
                <button class="small" data-testid="toggle-active" on:click=move |_| { update.dispatch(UserOp::Active(id, !active)); }>
                    {move || if active { i18n.t("users.deactivate")() } else { i18n.t("users.activate")() }}
                </button>
                {(!active).then(|| view! { <span class="badge muted">{i18n.t("users.inactive")}</span> })}
            </td>
        </tr>
    }
}

#[component]
pub fn AdminRoles() -> impl IntoView {
    view! { <RequirePermission permission=Permission::RoleManage><AdminRolesInner/></RequirePermission> }
}

#[derive(Clone)]
enum RoleOp {
    Create(String, Vec<Permission>),
    Rename(i64, String),
    Permissions(i64, Vec<Permission>),
    Delete(i64),
}

#[island]
fn AdminRolesInner() -> impl IntoView {
    let i18n = use_i18n();
    let roles = resource(|| (), |_| list_roles());
    let op = Action::new(|op: &RoleOp| {
        let op = op.clone();
        async move {
            match op {
                RoleOp::Create(name, perms) => create_role(name, perms).await.map(|_| ()),
                RoleOp::Rename(id, name) => rename_role(id, name).await,
                RoleOp::Permissions(id, perms) => set_role_permissions(id, perms).await,
                RoleOp::Delete(id) => delete_role(id).await,
            }
        }
    });
    let result = Signal::derive(move || op.value().get());
    Effect::new(move |_| {
        if op.value().get().is_some() {
            roles.refetch();
        }
    });
    let new_name = RwSignal::new(String::new());
    view! {
        <section class="page" data-page="admin-roles">
            <h1>{i18n.t("nav.roles")}</h1>
            <FormError result/>
            <form class="form inline" data-testid="new-role" on:submit=move |ev| {
                ev.prevent_default();
                op.dispatch(RoleOp::Create(new_name.get_untracked(), vec![]));
                new_name.set(String::new());
            }>
                <label>{i18n.t("roles.new")}<input name="role_name" bind:value=new_name required/></label>
                <button type="submit">{i18n.t("roles.create")}</button>
            </form>
            <Suspense fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match roles.await {
                        Err(e) => view! { <p class="form-error">{error_text(&e, i18n.lang())}</p> }.into_any(),
                        Ok(list) => list.into_iter().map(|r| role_card(r, op)).collect_view().into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn role_card(role: RoleRow, op: Action<RoleOp, Result<(), AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    let id = role.id;
    let name = RwSignal::new(role.name.clone());
    let perms = role.permissions.clone();
    let checks = Permission::ALL
        .iter()
        .map(|p| {
            let p = *p;
            let on = perms.contains(&p);
            let perms = perms.clone();
            view! {
                <label class="check small">
                    <input type="checkbox" data-permission=p.key() prop:checked=on on:change=move |ev| {
                        let mut next = perms.clone();
                        toggle(&mut next, p, event_target_checked(&ev));
                        op.dispatch(RoleOp::Permissions(id, next));
                    }/>
                    {move || p.label(i18n.lang())}
                </label>
            }
        })
        .collect_view();
    let builtin = role.key.is_some();
    view! {
        <article class="card role" data-role=role.name.clone()>
            <form class="form inline" on:submit=move |ev| { ev.prevent_default(); op.dispatch(RoleOp::Rename(id, name.get_untracked())); }>
                <input name="name" bind:value=name aria-label="role name"/>
                <button type="submit" class="small">{i18n.t("roles.rename")}</button>
                {(!builtin).then(|| view! {
                    <button type="button" class="small danger" data-testid="delete-role" on:click=move |_| { op.dispatch(RoleOp::Delete(id)); }>
                        {i18n.t("roles.delete")}
                    </button>
                })}
                <span class="muted">{role.members} " " {i18n.t("roles.members")}</span>
            </form>
            <details>
                <summary>{role.permissions.len()} " " {i18n.t("roles.permissions")}</summary>
                <div class="checks">{checks}</div>
            </details>
        </article>
    }
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    view! { <RequirePermission permission=Permission::AuditLogView><AuditInner/></RequirePermission> }
}

#[component]
fn AuditInner() -> impl IntoView {
    let i18n = use_i18n();
    let query = crate::components::use_query_map();
    let entity = move || query.read().get("entity").unwrap_or_default();
    let events = resource(entity, |e| audit_log((!e.is_empty()).then_some(e)));
    let chosen = entity();
    view! {
        <section class="page" data-page="audit">
            <h1>{i18n.t("nav.audit")}</h1>
            <form method="get" action="/admin/audit" class="filters">
                <label>{i18n.t("audit.entity")}
                    <select name="entity">
                        <option value="">{i18n.t("audit.all")}</option>
                        {[("improvement", "nav.improvement"), ("user", "nav.users"), ("role", "nav.roles")].into_iter().map(|(v, key)| {
                            view! { <option value=v selected=chosen == v>{i18n.t(key)}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="secondary">{i18n.t("common.filter")}</button>
            </form>
            <Transition fallback=|| view! { <p class="loading">"…"</p> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Err(e) => view! { <p class="form-error">{error_text(&e, i18n.lang())}</p> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap"><table class="data">
                                <thead><tr>
                                    <th>{i18n.t("audit.when")}</th><th>{i18n.t("audit.who")}</th><th>{i18n.t("audit.entity")}</th>
                                    <th>{i18n.t("audit.action")}</th><th>{i18n.t("audit.details")}</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|e| view! {
                                        <tr>
                                            <td>{format_time(e.at)}</td>
                                            <td>{e.actor_name.unwrap_or_else(|| "system".into())}</td>
                                            <td>{format!("{} #{}", e.entity, e.entity_id)}</td>
                                            <td>{e.action} {e.to_state.map(|s| format!(" → {s}"))}</td>
                                            <td class="payload">{e.payload}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
