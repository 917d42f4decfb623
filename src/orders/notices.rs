//! Who hears of which step of the order processes — orders, returns and exchanges, shipping
//! exceptions — one function per process, called by the engine inside the step's
//! transaction (through `notifications::service::after_step`), so every path that takes a
//! step (a person, the automatic confirmation, the expiry sweep, the carrier's webhook) tells
//! the same people. Customers hear of what happens to their order; staff hear of work that
//! waits for them, found by permission so that custom roles are included.

use crate::domain::{price_label, AppResult, Permission};
use crate::engine::run::StepDone;
use crate::notifications::service::{notify_customer, notify_holders};
use crate::i18n::Lang;
use crate::notifications::{zh_twin, Notice};
use sqlx::AnyConnection;

fn customer_link(order: i64) -> String {
    format!("/my/orders/{order}")
}

/// The steps below tell someone; the others (placing, allocating, picking, packing,
/// completing…) return before reading anything: this runs inside every order step.
const ORDER_NEWS: &[&str] = &["pay", "confirm", "ship", "ship_parcel", "deliver", "cancel", "void"];
const RETURN_NEWS: &[&str] = &["request", "file_for_customer", "approve", "reject", "refund", "exchange"];
const EXCEPTION_NEWS: &[&str] = &["report", "report_for_customer", "resolve"];

pub async fn order_step(conn: &mut AnyConnection, done: &StepDone<'_>) -> AppResult<()> {
    if !ORDER_NEWS.contains(&done.action.id) || (done.action.id == "pay" && done.payload["review"] != true) {
        return Ok(());
    }
    let id = done.id;
    let (customer, total, paid_at, reason): (i64, i64, Option<i64>, Option<String>) =
        sqlx::query_as("SELECT customer_id, total, paid_at, cancel_reason FROM orders WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
    let to_customer = |kind| Notice::new(kind, done.workflow.id, id, customer_link(id)).with("order", id.to_string());
    let notice = match done.action.id {
        // Paying is the customer's own step (the page answers them); an order it leaves
        // waiting for a clerk is news for the clerks. The customer hears at the confirmation,
        // automatic or by hand.
        "pay" if done.payload["review"] == true => {
            let staff = Notice::new("order.review", done.workflow.id, id, format!("/orders/{id}")).with("order", id.to_string()).with("total", price_label(total));
            notify_holders(conn, Permission::OrderReview, done.actor_id, &staff).await?;
            return Ok(());
        }
        "confirm" => to_customer("order.confirmed").with("total", price_label(total)),
        // The order's own "ship" after its parcels went one by one (the system's step) tells
        // nothing new: each parcel was told as it left.
        "ship" if done.actor_id.is_none() => return Ok(()),
        "ship" | "ship_parcel" => {
            // Carriers are data that may be renamed later: the notice keeps the names of the
            // day, in both languages, and is read in the reader's.
            let parcels: Vec<(String, String, Option<String>)> = sqlx::query_as(
                "SELECT COALESCE(c.name_en, s.carrier), COALESCE(c.name_zh, ''), s.tracking_number FROM shipments s \
                 LEFT JOIN carriers c ON c.code = s.carrier JOIN warehouses w ON w.id = s.warehouse_id \
                 WHERE s.order_id = $1 AND s.carrier IS NOT NULL AND ($2 = '' OR w.code = $2) ORDER BY s.id",
            )
            .bind(id)
            // A parcel step names its parcel by its warehouse; the order's step means them all.
            .bind(done.payload["parcel"].as_str().unwrap_or(""))
            .fetch_all(&mut *conn)
            .await?;
            let text = |lang| {
                parcels
                    .iter()
                    .map(|(en, zh, number)| {
                        let name = crate::logistics::Name { en: en.clone(), zh: zh.clone() };
                        format!("{} {}", name.get(lang), number.as_deref().unwrap_or(""))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let kind = if done.action.id == "ship" { "order.shipped" } else { "order.parcel_shipped" };
            to_customer(kind).with("parcels", text(Lang::En)).with(&zh_twin("parcels"), text(Lang::Zh))
        }
        "deliver" => to_customer("order.delivered"),
        // A customer's own cancellation is skipped by `notify_customer`; staff's and the
        // expiry's reach them with the reason, and the refund when they had paid.
        "cancel" | "void" => {
            let notice = match paid_at {
                Some(_) => to_customer("order.cancelled_refund").with("amount", price_label(total)),
                None => to_customer("order.cancelled"),
            };
            notice.with("reason", reason.unwrap_or_default())
        }
        _ => return Ok(()),
    };
    notify_customer(conn, done, customer, &notice).await
}

pub async fn return_step(conn: &mut AnyConnection, done: &StepDone<'_>) -> AppResult<()> {
    if !RETURN_NEWS.contains(&done.action.id) {
        return Ok(());
    }
    let id = done.id;
    let (order, customer, answer, amount, tracking): (i64, i64, Option<String>, Option<i64>, Option<String>) =
        sqlx::query_as("SELECT order_id, customer_id, answer, refund_amount, tracking_number FROM return_cases WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    let to_customer = |kind| Notice::new(kind, done.workflow.id, id, customer_link(order)).with("case", id.to_string()).with("order", order.to_string());
    let notice = match done.action.id {
        "request" | "file_for_customer" => {
            let staff = Notice::new("return.requested", done.workflow.id, id, format!("/returns/{id}")).with("case", id.to_string()).with("order", order.to_string());
            notify_holders(conn, Permission::ReturnReview, done.actor_id, &staff).await?;
            return Ok(());
        }
        "approve" => to_customer("return.approved").with("note", answer.unwrap_or_default()),
        "reject" => to_customer("return.rejected").with("reason", answer.unwrap_or_default()),
        "refund" => to_customer("return.refunded").with("amount", amount.map(price_label).unwrap_or_default()),
        "exchange" => to_customer("return.exchanged").with("tracking", tracking.unwrap_or_default()),
        _ => return Ok(()),
    };
    notify_customer(conn, done, customer, &notice).await
}

pub async fn exception_step(conn: &mut AnyConnection, done: &StepDone<'_>) -> AppResult<()> {
    if !EXCEPTION_NEWS.contains(&done.action.id) {
        return Ok(());
    }
    let id = done.id;
    let (order, customer, note, ticket): (i64, i64, String, Option<i64>) = sqlx::query_as(
        "SELECT e.order_id, o.customer_id, e.customer_note, e.ticket_id FROM shipping_exceptions e JOIN orders o ON o.id = e.order_id WHERE e.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let to_customer = |kind| Notice::new(kind, done.workflow.id, id, customer_link(order)).with("order", order.to_string()).with("note", note.clone());
    let notice = match done.action.id {
        "report" => {
            let staff = Notice::new("exception.reported_staff", done.workflow.id, id, format!("/orders/{order}#exceptions"))
                .with("exception", id.to_string())
                .with("order", order.to_string());
            notify_holders(conn, Permission::ExceptionHandle, done.actor_id, &staff).await?;
            to_customer("exception.reported")
        }
        // Reported by an agent from the customer's ticket: logistics hears which ticket the
        // customer wrote on; the customer reads what they are told, as for any report.
        "report_for_customer" => {
            let staff = Notice::new("exception.reported_for_customer", done.workflow.id, id, format!("/orders/{order}#exceptions"))
                .with("exception", id.to_string())
                .with("order", order.to_string())
                .with("ticket", ticket.map(|t| t.to_string()).unwrap_or_default());
            notify_holders(conn, Permission::ExceptionHandle, done.actor_id, &staff).await?;
            to_customer("exception.reported")
        }
        "resolve" => to_customer("exception.resolved"),
        _ => return Ok(()),
    };
    notify_customer(conn, done, customer, &notice).await
}
