//! Attachments on the server: uploads waiting for their message, claimed by the step that
//! sends it, read back only by those who may read what they belong to.

use super::{check, Attachment, MAX_PENDING, PENDING_MS, RETURN, TICKET};
use crate::accounts::Actor;
use crate::domain::{now_millis, AppError, AppResult, Permission};
use crate::server::Db;
use sqlx::AnyConnection;

/// Keeps an uploaded file for its uploader until a message or request claims it.
pub async fn upload(db: &Db, actor: &Actor, file_name: &str, bytes: Vec<u8>, images_only: bool) -> AppResult<Attachment> {
    let (name, kind) = check(file_name, &bytes, images_only)?;
    let (waiting,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM attachments WHERE owner_id = $1 AND entity IS NULL").bind(actor.id).fetch_one(db.pool()).await?;
    if waiting >= MAX_PENDING {
        return Err(AppError::invalid("file", "too many files are waiting to be sent; send or remove some first"));
    }
    let size = bytes.len() as i64;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO attachments (owner_id, internal, file_name, content_type, size, data, created_at) VALUES ($1, 0, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(actor.id)
    .bind(&name)
    .bind(kind)
    .bind(size)
    .bind(bytes)
    .bind(now_millis())
    .fetch_one(db.writer())
    .await?;
    Ok(Attachment { id, file_name: name, content_type: kind.to_string(), size })
}

/// Removes an upload its owner has not sent yet (the × beside the file).
pub async fn discard(db: &Db, actor: &Actor, id: i64) -> AppResult<()> {
    let done = sqlx::query("DELETE FROM attachments WHERE id = $1 AND owner_id = $2 AND entity IS NULL").bind(id).bind(actor.id).execute(db.writer()).await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Where claimed files go: the record, the message on it, and whether only staff may read them.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub entity: &'a str,
    pub entity_id: i64,
    pub part_id: Option<i64>,
    pub internal: bool,
}

/// Attaches the owner's waiting uploads to `target` inside the caller's transaction. An id
/// that is not the owner's waiting upload (someone else's, already sent, swept away) fails the
/// whole step, so a message never goes out without a file its writer meant to send.
pub async fn claim(conn: &mut AnyConnection, owner: i64, ids: &[i64], target: Target<'_>, images_only: bool) -> AppResult<Vec<Attachment>> {
    let ids = super::check_ids(ids)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "UPDATE attachments SET entity = $1, entity_id = $2, part_id = $3, internal = $4 \
             WHERE id = $5 AND owner_id = $6 AND entity IS NULL RETURNING file_name, content_type, size",
        )
        .bind(target.entity)
        .bind(target.entity_id)
        .bind(target.part_id)
        .bind(i64::from(target.internal))
        .bind(id)
        .bind(owner)
        .fetch_optional(&mut *conn)
        .await?;
        let (file_name, content_type, size) = row.ok_or_else(|| AppError::invalid("attachments", "a file is no longer there; attach it again"))?;
        if images_only && !content_type.starts_with("image/") {
            return Err(AppError::invalid("attachments", "use a PNG, JPEG, WebP or GIF image"));
        }
        out.push(Attachment { id, file_name, content_type, size });
    }
    Ok(out)
}

/// Stores a file that arrived with a mail straight onto its message.
pub async fn store(conn: &mut AnyConnection, target: Target<'_>, file_name: &str, bytes: &[u8]) -> AppResult<Attachment> {
    let (name, kind) = check(file_name, bytes, false)?;
    let size = bytes.len() as i64;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO attachments (owner_id, entity, entity_id, part_id, internal, file_name, content_type, size, data, created_at) \
         VALUES (NULL, $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(target.entity)
    .bind(target.entity_id)
    .bind(target.part_id)
    .bind(i64::from(target.internal))
    .bind(&name)
    .bind(kind)
    .bind(size)
    .bind(bytes.to_vec())
    .bind(now_millis())
    .fetch_one(conn)
    .await?;
    Ok(Attachment { id, file_name: name, content_type: kind.to_string(), size })
}

/// Moves the files of one message onto another (a merged ticket's conversation).
pub async fn move_part(conn: &mut AnyConnection, entity: &str, from_part: i64, to_entity_id: i64, to_part: i64) -> AppResult<()> {
    sqlx::query("UPDATE attachments SET entity_id = $1, part_id = $2 WHERE entity = $3 AND part_id = $4")
        .bind(to_entity_id)
        .bind(to_part)
        .bind(entity)
        .bind(from_part)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sends the files with a mail in the outbox.
pub async fn attach_to_mail(conn: &mut AnyConnection, email_id: i64, files: &[Attachment]) -> AppResult<()> {
    for f in files {
        sqlx::query("INSERT INTO outbox_attachments (email_id, attachment_id) VALUES ($1, $2)").bind(email_id).bind(f.id).execute(&mut *conn).await?;
    }
    Ok(())
}

/// A record's files with the message each came with and whether it is internal.
pub async fn of(db: &Db, entity: &str, entity_id: i64) -> AppResult<Vec<(Option<i64>, bool, Attachment)>> {
    let rows: Vec<(i64, Option<i64>, i64, String, String, i64)> = sqlx::query_as(
        "SELECT id, part_id, internal, file_name, content_type, size FROM attachments WHERE entity = $1 AND entity_id = $2 ORDER BY id",
    )
    .bind(entity)
    .bind(entity_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| (r.1, r.2 == 1, Attachment { id: r.0, file_name: r.3, content_type: r.4, size: r.5 })).collect())
}

/// The files of one mail in the outbox, with their bytes, for the sender.
pub async fn of_mail(db: &Db, email_id: i64) -> AppResult<Vec<(Attachment, Vec<u8>)>> {
    let rows: Vec<(i64, String, String, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT a.id, a.file_name, a.content_type, a.size, a.data FROM outbox_attachments o JOIN attachments a ON a.id = o.attachment_id \
         WHERE o.email_id = $1 ORDER BY a.id",
    )
    .bind(email_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| (Attachment { id: r.0, file_name: r.1, content_type: r.2, size: r.3 }, r.4)).collect())
}

/// A file with its bytes, for someone who may read what it belongs to. Customers get "not
/// found" for anything that is not theirs to see, so ids reveal nothing.
pub async fn download(db: &Db, actor: &Actor, id: i64) -> AppResult<(Attachment, Vec<u8>)> {
    type Row = (Option<i64>, Option<String>, Option<i64>, i64, String, String, i64, Vec<u8>);
    let row: Option<Row> = sqlx::query_as("SELECT owner_id, entity, entity_id, internal, file_name, content_type, size, data FROM attachments WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    let (owner, entity, entity_id, internal, file_name, content_type, size, data) = row.ok_or(AppError::NotFound)?;
    let allowed = match (entity.as_deref(), entity_id) {
        // Waiting to be sent: only its uploader, to check what they picked.
        (None, _) => owner == Some(actor.id),
        (Some(TICKET), Some(t)) if actor.is_customer => {
            let ticket: Option<(Option<i64>,)> = sqlx::query_as("SELECT customer_id FROM tickets WHERE id = $1").bind(t).fetch_optional(db.pool()).await?;
            internal == 0 && ticket.is_some_and(|c| c.0 == Some(actor.id))
        }
        (Some(TICKET), Some(_)) => actor.can(Permission::TicketView),
        (Some(RETURN), Some(r)) if actor.is_customer => {
            let case: Option<(i64,)> = sqlx::query_as("SELECT customer_id FROM return_cases WHERE id = $1").bind(r).fetch_optional(db.pool()).await?;
            case.is_some_and(|c| c.0 == actor.id)
        }
        (Some(RETURN), Some(_)) => actor.can(Permission::OrderView),
        _ => false,
    };
    if !allowed {
        return Err(if actor.is_customer { AppError::NotFound } else { AppError::Forbidden });
    }
    Ok((Attachment { id, file_name, content_type, size }, data))
}

/// Removes uploads nobody sent within a day; returns how many.
pub async fn sweep(db: &Db) -> AppResult<u64> {
    let done = sqlx::query("DELETE FROM attachments WHERE entity IS NULL AND created_at < $1").bind(now_millis() - PENDING_MS).execute(db.writer()).await?;
    Ok(done.rows_affected())
}
