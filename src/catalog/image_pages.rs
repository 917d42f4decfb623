//! The images of a product: thumbnails on the product page, with upload and removal while the
//! product is a draft or returned.

use super::api::{RemoveProductImage, UploadProductImage};
use super::images::ProductImage;
use crate::components::{error_text, use_query_map, PostForm};
use crate::domain::AppError;
use crate::i18n::use_i18n;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The product's images. The upload is a plain multipart form the browser posts itself: the
/// server function sends it back to the page, with the refusal in the address when the file is
/// not an image, which the page shows under the form.
#[component]
pub fn ProductImages(product_id: i64, images: Vec<ProductImage>, editable: bool) -> impl IntoView {
    let i18n = use_i18n();
    let upload = <UploadProductImage as ServerFn>::PATH;
    let remove = <RemoveProductImage as ServerFn>::PATH;
    let refused = use_query_map().with_untracked(|q| match (q.get("__path"), q.get("__err")) {
        (Some(path), Some(err)) if path == upload => {
            Some(leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(&err))
        }
        _ => None,
    });
    let empty = images.is_empty();
    view! {
        <h2>{i18n.t("product.images")}</h2>
        {(empty && !editable).then(|| view! { <p class="empty">{i18n.t("product.no_images")}</p> })}
        <ul class="image-grid" data-testid="product-images">
            {images.into_iter().map(|img| view! {
                <li data-image=img.id>
                    <a href=img.url.clone() target="_blank" rel="external"><img src=img.thumb_url.clone() alt=img.file_name.clone() loading="lazy"/></a>
                    <span class="muted">{img.width} "×" {img.height}</span>
                    {editable.then(|| view! {
                        <PostForm to=remove.to_string() class="inline".to_string()>
                            <input type="hidden" name="id" value=img.id/>
                            <button type="submit" class="linkish">{i18n.t("product.remove")}</button>
                        </PostForm>
                    })}
                </li>
            }).collect_view()}
        </ul>
        {editable.then(|| view! {
            <form class="form inline" method="post" action=upload enctype="multipart/form-data" data-testid="image-upload">
                <input type="hidden" name="product_id" value=product_id/>
                <label data-field="file">{i18n.t("product.add_image")}
                    <input type="file" name="file" required accept="image/png,image/jpeg,image/webp,image/gif"/>
                </label>
                <button type="submit" data-testid="upload-image">{i18n.t("product.upload")}</button>
                <p class="hint">{i18n.t("product.image_hint")}</p>
                {refused.map(|e| {
                    let field = match &e { AppError::Invalid { field, .. } if !field.is_empty() => Some(field.clone()), _ => None };
                    let class = if field.is_some() { "field-error" } else { "form-error" };
                    view! { <p class=class role="alert" data-field=field>{error_text(&e, i18n.lang())}</p> }
                })}
            </form>
        })}
    }
}
