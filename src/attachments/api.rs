//! Uploading and discarding attachments. Only people who write messages or ask for returns
//! upload: customers, and agents who handle tickets.

use super::Attachment;
use crate::domain::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
async fn uploader() -> Result<crate::accounts::Actor, AppError> {
    use crate::domain::Permission;
    let actor = crate::server::require_user().await?;
    if [Permission::OrderPlace, Permission::TicketOpen, Permission::TicketHandle].iter().any(|p| actor.can(*p)) {
        Ok(actor)
    } else {
        Err(AppError::Forbidden)
    }
}

/// One file (a multipart form: `file`, and `purpose` = `photo` where only pictures will do);
/// it waits, visible only to its uploader, until the message it goes with is sent.
#[server(endpoint = "upload_attachment", input = leptos::server_fn::codec::MultipartFormData)]
pub async fn upload_attachment(data: leptos::server_fn::codec::MultipartData) -> Result<Attachment, AppError> {
    use super::MAX_ATTACHMENT_BYTES;
    let actor = uploader().await?;
    let mut form = data.into_inner().ok_or_else(|| AppError::invalid("file", "choose a file"))?;
    let (mut name, mut bytes, mut images_only) = (String::new(), Vec::new(), false);
    while let Ok(Some(mut field)) = form.next_field().await {
        match field.name() {
            Some("purpose") => images_only = field.text().await.is_ok_and(|t| t.trim() == "photo"),
            Some("file") => {
                name = field.file_name().unwrap_or_default().to_string();
                while let Ok(Some(chunk)) = field.chunk().await {
                    // Refused while it streams in: a huge file is never held in memory.
                    if bytes.len() + chunk.len() > MAX_ATTACHMENT_BYTES {
                        return Err(AppError::invalid("file", "the file is larger than 10 MB"));
                    }
                    bytes.extend_from_slice(&chunk);
                }
            }
            _ => {}
        }
    }
    super::service::upload(&crate::server::db()?, &actor, &name, bytes, images_only).await
}

/// Removes an upload that has not been sent yet.
#[server(endpoint = "discard_attachment")]
pub async fn discard_attachment(id: i64) -> Result<(), AppError> {
    let actor = uploader().await?;
    super::service::discard(&crate::server::db()?, &actor, id).await
}
