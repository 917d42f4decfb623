//! The address book in the database. Every query names the customer, so one customer can
//! neither read nor change another's entries (someone else's id is "not found").

use super::addresses::{AddressBookInput, SavedAddress, MAX_ADDRESSES};
use super::AddressInput;
use crate::accounts::Actor;
use crate::domain::{now_millis, AppError, AppResult};
use crate::server::Db;
use sqlx::AnyConnection;

type Row = (i64, String, String, String, String, i64);

pub async fn list(conn: &mut AnyConnection, customer: i64) -> AppResult<Vec<SavedAddress>> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, label, recipient, phone, address, is_default FROM customer_addresses WHERE customer_id = $1 \
         ORDER BY is_default DESC, updated_at DESC, id DESC",
    )
    .bind(customer)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SavedAddress { id: r.0, label: r.1, address: AddressInput { recipient: r.2, phone: r.3, address: r.4 }, is_default: r.5 == 1 })
        .collect())
}

pub async fn mine(db: &Db, actor: &Actor) -> AppResult<Vec<SavedAddress>> {
    list(&mut *db.pool().acquire().await?, actor.id).await
}

async fn count(conn: &mut AnyConnection, customer: i64) -> AppResult<i64> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM customer_addresses WHERE customer_id = $1").bind(customer).fetch_one(conn).await?;
    Ok(n)
}

/// Makes `id` the customer's only default entry.
async fn make_default(conn: &mut AnyConnection, customer: i64, id: i64) -> AppResult<()> {
    sqlx::query("UPDATE customer_addresses SET is_default = CASE WHEN id = $1 THEN 1 ELSE 0 END WHERE customer_id = $2")
        .bind(id)
        .bind(customer)
        .execute(conn)
        .await?;
    Ok(())
}

async fn insert(conn: &mut AnyConnection, customer: i64, label: &str, a: &AddressInput) -> AppResult<i64> {
    let now = now_millis();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO customer_addresses (customer_id, label, recipient, phone, address, is_default, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id",
    )
    .bind(customer)
    .bind(label)
    .bind(&a.recipient)
    .bind(&a.phone)
    .bind(&a.address)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// Adds an entry (`id` none) or changes one of the customer's own; the first entry, or one
/// marked so, becomes the default. Returns its id.
pub async fn save(db: &Db, actor: &Actor, id: Option<i64>, input: &AddressBookInput) -> AppResult<i64> {
    let (label, a) = input.validate()?;
    let mut tx = db.begin().await?;
    let id = match id {
        None => {
            let n = count(&mut tx, actor.id).await?;
            if n >= MAX_ADDRESSES {
                return Err(AppError::Conflict(format!("your address book is full ({MAX_ADDRESSES} addresses): delete one first")));
            }
            let id = insert(&mut tx, actor.id, &label, &a).await?;
            if n == 0 {
                make_default(&mut tx, actor.id, id).await?;
            }
            id
        }
        Some(id) => {
            let done = sqlx::query(
                "UPDATE customer_addresses SET label = $1, recipient = $2, phone = $3, address = $4, updated_at = $5 \
                 WHERE id = $6 AND customer_id = $7",
            )
            .bind(&label)
            .bind(&a.recipient)
            .bind(&a.phone)
            .bind(&a.address)
            .bind(now_millis())
            .bind(id)
            .bind(actor.id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Err(AppError::NotFound);
            }
            id
        }
    };
    if input.is_default {
        make_default(&mut tx, actor.id, id).await?;
    }
    tx.commit().await?;
    Ok(id)
}

pub async fn set_default(db: &Db, actor: &Actor, id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let own: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM customer_addresses WHERE id = $1 AND customer_id = $2").bind(id).bind(actor.id).fetch_optional(&mut *tx).await?;
    own.ok_or(AppError::NotFound)?;
    make_default(&mut tx, actor.id, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes one of the customer's entries; when it was the default, the most recently used
/// remaining one takes its place.
pub async fn delete(db: &Db, actor: &Actor, id: i64) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let row: Option<(i64,)> = sqlx::query_as("SELECT is_default FROM customer_addresses WHERE id = $1 AND customer_id = $2")
        .bind(id)
        .bind(actor.id)
        .fetch_optional(&mut *tx)
        .await?;
    let (was_default,) = row.ok_or(AppError::NotFound)?;
    sqlx::query("DELETE FROM customer_addresses WHERE id = $1").bind(id).execute(&mut *tx).await?;
    if was_default == 1 {
        let next: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM customer_addresses WHERE customer_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 1")
                .bind(actor.id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some((next,)) = next {
            make_default(&mut tx, actor.id, next).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Keeps a checkout's address in the book, inside the order's transaction, unless the book
/// already has it. A full book is left as it is: the order carries its address anyway, and
/// an order must not fail for want of a bookmark.
pub async fn remember(conn: &mut AnyConnection, customer: i64, a: &AddressInput) -> AppResult<()> {
    let same: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM customer_addresses WHERE customer_id = $1 AND recipient = $2 AND phone = $3 AND address = $4",
    )
    .bind(customer)
    .bind(&a.recipient)
    .bind(&a.phone)
    .bind(&a.address)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((id,)) = same {
        sqlx::query("UPDATE customer_addresses SET updated_at = $1 WHERE id = $2").bind(now_millis()).bind(id).execute(&mut *conn).await?;
        return Ok(());
    }
    let n = count(conn, customer).await?;
    if n >= MAX_ADDRESSES {
        return Ok(());
    }
    let id = insert(conn, customer, "", a).await?;
    if n == 0 {
        make_default(conn, customer, id).await?;
    }
    Ok(())
}
