//! How server functions read their arguments.

use leptos::server_fn::codec::Post;
use leptos::server_fn::{Bytes, ContentType, Decodes, Encodes, Format, FormatType};

/// Arguments posted as JSON by the client's code, or as a form the browser posts
/// ([`crate::components::PostForm`]), URL-encoded with the names serde_qs reads
/// (`fields[reason]`, `lines[0][quantity]`). One server function serves both, so a page's
/// form needs no code of its own in the browser. The client always writes JSON: the form
/// reader is on the server only.
pub type JsonOrForm = Post<JsonOrFormEncoding>;

pub struct JsonOrFormEncoding;

impl ContentType for JsonOrFormEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for JsonOrFormEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: serde::Serialize> Encodes<T> for JsonOrFormEncoding {
    type Error = serde_json::Error;

    fn encode(value: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(value).map(Bytes::from)
    }
}

impl<T: serde::de::DeserializeOwned> Decodes<T> for JsonOrFormEncoding {
    type Error = String;

    fn decode(bytes: Bytes) -> Result<T, String> {
        // A JSON object starts with `{`; a URL-encoded body never does (it would be `%7B`).
        #[cfg(feature = "ssr")]
        if bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b != b'{') {
            return serde_qs::Config::new(5, false).deserialize_bytes(&bytes).map_err(|e| e.to_string());
        }
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Step {
        id: i64,
        action: String,
        #[serde(default)]
        fields: HashMap<String, String>,
        #[serde(default)]
        lines: Vec<Line>,
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Line {
        line_id: i64,
        received: String,
    }

    #[test]
    fn reads_json_and_forms_alike() {
        let json: Step = JsonOrFormEncoding::decode(Bytes::from_static(br#"{"id":7,"action":"inspect","fields":{"note":"ok"},"lines":[{"line_id":3,"received":"2"}]}"#)).unwrap();
        let form: Step = JsonOrFormEncoding::decode(Bytes::from_static(
            b"id=7&action=inspect&fields%5Bnote%5D=ok&lines%5B0%5D%5Bline_id%5D=3&lines%5B0%5D%5Breceived%5D=2",
        ))
        .unwrap();
        assert_eq!(json, form);
        assert_eq!(form.fields["note"], "ok");
        // Brackets the browser did not encode read the same.
        let plain: Step = JsonOrFormEncoding::decode(Bytes::from_static(b"id=7&action=post")).unwrap();
        assert_eq!((plain.id, plain.fields.len(), plain.lines.len()), (7, 0, 0));
        // A number that is not one is refused, not read as zero.
        assert!(<JsonOrFormEncoding as Decodes<Step>>::decode(Bytes::from_static(b"id=seven&action=post")).is_err());
        assert!(<JsonOrFormEncoding as Decodes<Step>>::decode(Bytes::from_static(b"{\"id\":")).is_err());
    }
}
