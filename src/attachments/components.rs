//! The file picker under a message box, and the list of a message's files.

use super::{human_size, Attachment};
use crate::i18n::use_i18n;
use leptos::prelude::*;

/// The files a form is about to send: uploaded as they are picked, sent by id with the form.
#[derive(Clone, Copy)]
pub struct PickedFiles {
    pub files: RwSignal<Vec<Attachment>>,
    /// Uploads still on their way; the form waits for them.
    pub busy: RwSignal<usize>,
    /// One line per refused file: "name: reason".
    pub errors: RwSignal<Vec<String>>,
}

impl PickedFiles {
    pub fn new() -> Self {
        PickedFiles { files: RwSignal::new(Vec::new()), busy: RwSignal::new(0), errors: RwSignal::new(Vec::new()) }
    }

    pub fn ids(&self) -> Vec<i64> {
        self.files.with_untracked(|f| f.iter().map(|a| a.id).collect())
    }

    /// After the form was sent: the files now belong to its message.
    pub fn clear(&self) {
        self.files.set(Vec::new());
        self.errors.set(Vec::new());
    }

    pub fn uploading(&self) -> bool {
        self.busy.get() > 0
    }
}

impl Default for PickedFiles {
    fn default() -> Self {
        Self::new()
    }
}

/// "Attach files": each picked file is uploaded at once, so a file that is too large or not a
/// picture (for `photos`) is refused here, beside the picker, before anything is sent.
#[component]
pub fn AttachmentPicker(picked: PickedFiles, #[prop(optional)] photos: bool) -> impl IntoView {
    let i18n = use_i18n();
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let Some(input) = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlInputElement>().ok()) else { return };
            let Some(list) = input.files() else { return };
            picked.errors.set(Vec::new());
            for n in 0..list.length() {
                let Some(file) = list.item(n) else { continue };
                let name = file.name();
                if picked.files.with_untracked(Vec::len) + picked.busy.get_untracked() >= super::MAX_PER_MESSAGE {
                    let reason = crate::components::error_text(&crate::domain::AppError::invalid("attachments", "at most 5 files per message"), i18n.lang());
                    picked.errors.update(|e| e.push(format!("{name}: {reason}")));
                    continue;
                }
                let Ok(data) = leptos::web_sys::FormData::new() else { continue };
                if photos {
                    let _ = data.append_with_str("purpose", "photo");
                }
                if data.append_with_blob_and_filename("file", &file, &name).is_err() {
                    continue;
                }
                picked.busy.update(|b| *b += 1);
                leptos::task::spawn_local(async move {
                    match super::api::upload_attachment(data.into()).await {
                        Ok(a) => picked.files.update(|f| f.push(a)),
                        Err(e) => picked.errors.update(|l| l.push(format!("{name}: {}", crate::components::error_text(&e, i18n.lang())))),
                    }
                    picked.busy.update(|b| *b = b.saturating_sub(1));
                });
            }
            // The same file can be picked again after removing it.
            input.set_value("");
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, picked, photos);
    };
    let remove = move |id: i64| {
        picked.files.update(|f| f.retain(|a| a.id != id));
        leptos::task::spawn_local(async move {
            let _ = super::api::discard_attachment(id).await;
        });
    };
    let accept = if photos { "image/png,image/jpeg,image/webp,image/gif" } else { "" };
    view! {
        <div class="attach" data-testid="attachment-picker">
            <label class="attach-pick">
                {i18n.t(if photos { "attach.add_photos" } else { "attach.add" })}
                <input type="file" multiple accept=accept on:change=on_change data-testid="attach-input"/>
            </label>
            <span class="hint">{i18n.t(if photos { "attach.photo_hint" } else { "attach.hint" })}</span>
            <ul class="attach-chips" data-testid="attached">
                <For each=move || picked.files.get() key=|a| a.id let:a>
                    {
                        let id = a.id;
                        view! {
                            <li data-attachment=id>
                                <a href=a.url() target="_blank" rel="external">{a.file_name.clone()}</a>
                                " "<span class="muted">{human_size(a.size)}</span>
                                <button type="button" class="linkish" aria-label=i18n.t("attach.remove") on:click=move |_| remove(id)>"×"</button>
                            </li>
                        }
                    }
                </For>
                {move || (picked.busy.get() > 0).then(|| view! { <li class="muted">{i18n.t("attach.uploading")}</li> })}
            </ul>
            {move || picked.errors.get().into_iter().map(|e| view! { <p class="field-error" role="alert" data-field="file">{e}</p> }).collect_view()}
        </div>
    }
}

/// A message's files: pictures as thumbnails, other files as download links.
#[component]
pub fn AttachmentLinks(files: Vec<Attachment>) -> impl IntoView {
    (!files.is_empty()).then(|| {
        view! {
            <ul class="attach-list" data-testid="attachments">
                {files.into_iter().map(|a| {
                    let (url, name, size) = (a.url(), a.file_name.clone(), human_size(a.size));
                    if a.is_image() {
                        let (img, alt) = (url.clone(), name.clone());
                        view! {
                            <li class="attach-image"><a href=url target="_blank" rel="external" title=name>
                                <img src=img alt=alt loading="lazy"/>
                            </a></li>
                        }.into_any()
                    } else {
                        let label = name.clone();
                        view! { <li><a href=url rel="external" download=name>{label}</a>" "<span class="muted">{size}</span></li> }.into_any()
                    }
                }).collect_view()}
            </ul>
        }
    })
}
