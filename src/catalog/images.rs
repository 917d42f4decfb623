//! Product images: what an upload must be (a PNG, JPEG, WebP or GIF of at most 5 MB and
//! 8,000 pixels a side), recognised from the file's own bytes rather than its name or the
//! browser's word, and what a stored image looks like to the pages.

use crate::domain::{AppError, AppResult};
use serde::{Deserialize, Serialize};

pub const MAX_IMAGE_BYTES: usize = 5 << 20;
pub const MAX_IMAGE_SIDE: u32 = 8_000;
/// Thumbnails fit in a square of this many pixels.
pub const THUMB_SIDE: u32 = 320;
pub const MAX_IMAGES_PER_PRODUCT: i64 = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
    Gif,
}

impl ImageKind {
    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Png => "png",
            ImageKind::Jpeg => "jpg",
            ImageKind::Webp => "webp",
            ImageKind::Gif => "gif",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Webp => "image/webp",
            ImageKind::Gif => "image/gif",
        }
    }
}

/// The kind of image the bytes are, from their signature; an empty, oversized or non-image
/// file is refused with a message for the form's `file` field.
pub fn check_upload(bytes: &[u8]) -> AppResult<ImageKind> {
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "choose an image file"));
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(AppError::invalid("file", "the image is larger than 5 MB"));
    }
    let kind = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ImageKind::Png
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        ImageKind::Jpeg
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        ImageKind::Webp
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        ImageKind::Gif
    } else {
        return Err(AppError::invalid("file", "use a PNG, JPEG, WebP or GIF image"));
    };
    Ok(kind)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductImage {
    pub id: i64,
    pub product_id: i64,
    /// The name the file had on the uploader's computer.
    pub file_name: String,
    pub url: String,
    pub thumb_url: String,
    pub width: i64,
    pub height: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_recognised_by_their_bytes() {
        assert_eq!(check_upload(b"\x89PNG\r\n\x1a\n....").unwrap(), ImageKind::Png);
        assert_eq!(check_upload(&[0xff, 0xd8, 0xff, 0xe0, 0, 0]).unwrap(), ImageKind::Jpeg);
        assert_eq!(check_upload(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), ImageKind::Webp);
        assert_eq!(check_upload(b"GIF89a...").unwrap(), ImageKind::Gif);
        // A PDF or a script renamed to .jpg is still not an image.
        assert!(check_upload(b"%PDF-1.7").unwrap_err().field_message("file").unwrap().contains("PNG, JPEG"));
        assert!(check_upload(b"<script>").is_err());
        assert!(check_upload(b"").unwrap_err().field_message("file").is_some());
        let big = vec![0xffu8; MAX_IMAGE_BYTES + 1];
        assert!(check_upload(&big).unwrap_err().field_message("file").unwrap().contains("5 MB"));
    }
}
