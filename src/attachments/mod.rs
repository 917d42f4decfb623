//! Files attached to what customers and staff write: photos of a broken parcel on a complaint
//! or a return request, a label an agent sends back, the files a customer's mail carries.
//!
//! A file is uploaded on its own first (so a too-large or unreadable file is refused at once,
//! beside the file picker) and waits, owned by its uploader, until the message or request it
//! goes with is sent; that step then claims it in its own transaction. What is never claimed is
//! swept away after a day.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod service;

use crate::domain::{AppError, AppResult};
use serde::{Deserialize, Serialize};

/// The largest file accepted: enough for a phone photo or a scanned delivery note.
pub const MAX_ATTACHMENT_BYTES: usize = 10 << 20;
/// Files on one message or request.
pub const MAX_PER_MESSAGE: usize = 5;
/// Uploads a user may have waiting (not yet sent) at once: bounds what an abandoned or
/// abusive form can pile up.
pub const MAX_PENDING: i64 = 20;
/// How long an unsent upload waits before the sweep removes it.
pub const PENDING_MS: i64 = 24 * 3_600_000;

/// What an attachment belongs to.
pub const TICKET: &str = "ticket";
pub const RETURN: &str = "return";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
}

impl Attachment {
    pub fn url(&self) -> String {
        format!("/attachments/{}", self.id)
    }

    /// Pictures are shown inline; everything else is downloaded.
    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }
}

/// The kinds of file the server recognises by their first bytes. Anything else is stored and
/// served as an opaque download, never as something a browser would render or run.
pub fn sniff(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        "image/jpeg"
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        "image/webp"
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        "image/gif"
    } else if bytes.starts_with(b"%PDF-") {
        "application/pdf"
    } else {
        "application/octet-stream"
    }
}

/// A file as uploaded, checked: its name (kept to what is safe in a header and a page) and
/// its content type, from its bytes rather than from what the client claimed.
pub fn check(file_name: &str, bytes: &[u8], images_only: bool) -> AppResult<(String, &'static str)> {
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "choose a file"));
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(AppError::invalid("file", "the file is larger than 10 MB"));
    }
    let kind = sniff(bytes);
    if images_only && !kind.starts_with("image/") {
        return Err(AppError::invalid("file", "use a PNG, JPEG, WebP or GIF image"));
    }
    Ok((clean_name(file_name, kind), kind))
}

/// The file's own name without any folder, control characters or quotes, at most 120
/// characters; a name-less file gets one from its kind.
pub fn clean_name(name: &str, kind: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | ';')).take(120).collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        let ext = match kind {
            "image/png" => "png",
            "image/jpeg" => "jpg",
            "image/webp" => "webp",
            "image/gif" => "gif",
            "application/pdf" => "pdf",
            _ => "bin",
        };
        format!("attachment.{ext}")
    } else {
        cleaned
    }
}

/// "1.2 MB", "340 KB", "12 B".
pub fn human_size(bytes: i64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / (1 << 20) as f64)
    } else if bytes >= 1 << 10 {
        format!("{} KB", (bytes + 512) >> 10)
    } else {
        format!("{bytes} B")
    }
}

/// The ids a form sends with a message: at most [`MAX_PER_MESSAGE`], each once.
pub fn check_ids(ids: &[i64]) -> AppResult<Vec<i64>> {
    let mut out: Vec<i64> = Vec::new();
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    if out.len() > MAX_PER_MESSAGE {
        return Err(AppError::invalid("attachments", "at most 5 files per message"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kind_comes_from_the_bytes_not_the_name() {
        assert_eq!(check("x.png", b"%PDF-1.7 ...", false).unwrap(), ("x.png".to_string(), "application/pdf"));
        assert_eq!(check("page.html", b"<script>alert(1)</script>", false).unwrap().1, "application/octet-stream");
        assert_eq!(check("a.jpg", &[0xff, 0xd8, 0xff, 0xe0], true).unwrap().1, "image/jpeg");
        assert_eq!(check("a.jpg", b"<svg/>", true).unwrap_err().field_message("file").unwrap(), "use a PNG, JPEG, WebP or GIF image");
    }

    #[test]
    fn empty_and_oversized_files_are_refused() {
        assert_eq!(check("a", b"", false).unwrap_err().field_message("file").unwrap(), "choose a file");
        let big = vec![0u8; MAX_ATTACHMENT_BYTES + 1];
        assert_eq!(check("a", &big, false).unwrap_err().field_message("file").unwrap(), "the file is larger than 10 MB");
        assert!(check("a", &big[..MAX_ATTACHMENT_BYTES], false).is_ok());
    }

    #[test]
    fn names_lose_folders_and_header_breaking_characters() {
        assert_eq!(clean_name("C:\\Users\\me\\photo 1.jpg", "image/jpeg"), "photo 1.jpg");
        assert_eq!(clean_name("../../etc/passwd", "application/octet-stream"), "passwd");
        assert_eq!(clean_name("a\"b;\r\nc.txt", "application/octet-stream"), "abc.txt");
        assert_eq!(clean_name("", "image/png"), "attachment.png");
        assert_eq!(clean_name("..", "application/pdf"), "attachment.pdf");
        assert_eq!(clean_name(&"é".repeat(300), "x").chars().count(), 120);
    }

    #[test]
    fn a_message_carries_at_most_five_distinct_files() {
        assert_eq!(check_ids(&[3, 3, 4]).unwrap(), vec![3, 4]);
        assert!(check_ids(&[1, 2, 3, 4, 5]).is_ok());
        assert_eq!(check_ids(&[1, 2, 3, 4, 5, 6]).unwrap_err().field_message("attachments").unwrap(), "at most 5 files per message");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(12), "12 B");
        assert_eq!(human_size(340 * 1024), "340 KB");
        assert_eq!(human_size(1_258_291), "1.2 MB");
    }
}
