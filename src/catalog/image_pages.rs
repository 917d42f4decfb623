//! The images of a product: thumbnails on the product page, with upload and removal while the
//! product is a draft or returned.

use super::api::{upload_product_image, RemoveProductImage};
use super::images::ProductImage;
use crate::components::{FieldError, FormError};
use crate::domain::AppError;
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos::web_sys::FormData;

#[component]
pub fn ProductImages(product_id: i64, images: Vec<ProductImage>, editable: bool, changed: RwSignal<usize>) -> impl IntoView {
    let i18n = use_i18n();
    // FormData lives in the browser only: a local action.
    let upload = Action::new_local(|data: &FormData| upload_product_image(data.clone().into()));
    let remove = ServerAction::<RemoveProductImage>::new();
    Effect::new(move |_| {
        let uploaded = upload.value().with(|v| matches!(v, Some(Ok(_))));
        let removed = remove.value().with(|v| matches!(v, Some(Ok(_))));
        if uploaded || removed {
            changed.update(|n| *n += 1);
        }
    });
    let uploaded: Signal<Option<Result<ProductImage, AppError>>> = Signal::derive(move || upload.value().get());
    let removed: Signal<Option<Result<(), AppError>>> = Signal::derive(move || remove.value().get());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let form = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlFormElement>().ok());
            if let Some(data) = form.and_then(|f| FormData::new_with_form(&f).ok()) {
                upload.dispatch_local(data);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, upload);
    };
    let empty = images.is_empty();
    view! {
        <h2>{i18n.t("product.images")}</h2>
        {(empty && !editable).then(|| view! { <p class="empty">{i18n.t("product.no_images")}</p> })}
        <ul class="image-grid" data-testid="product-images">
            {images.into_iter().map(|img| {
                let id = img.id;
                view! {
                    <li data-image=img.id>
                        <a href=img.url.clone() target="_blank" rel="external"><img src=img.thumb_url.clone() alt=img.file_name.clone() loading="lazy"/></a>
                        <span class="muted">{img.width} "×" {img.height}</span>
                        {editable.then(|| view! {
                            <button type="button" class="linkish" on:click=move |_| { remove.dispatch(RemoveProductImage { id }); }>{i18n.t("product.remove")}</button>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
        {editable.then(|| view! {
            <form class="form inline" on:submit=submit data-testid="image-upload">
                <input type="hidden" name="product_id" value=product_id/>
                <label data-field="file">{i18n.t("product.add_image")}
                    <input type="file" name="file" accept="image/png,image/jpeg,image/webp,image/gif"/>
                </label>
                <button type="submit" data-testid="upload-image" disabled=move || upload.pending().get()>{i18n.t("product.upload")}</button>
                <p class="hint">{i18n.t("product.image_hint")}</p>
            </form>
            <FieldError result=uploaded field="file"/>
            <FormError result=uploaded fields=&["file"]/>
            <FormError result=removed/>
        })}
    }
}
