//! Product images, on both backends: a real image is stored with a thumbnail and recorded;
//! a bad file is refused with a message and leaves no file and no record behind.

use crate::on_both_backends;
use crate::support::demo_actor;
use shopflow::catalog::image_service as images;
use shopflow::catalog::service as catalog;
use shopflow::domain::AppError;
use shopflow::server::Db;
use std::path::{Path, PathBuf};

fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 120]));
    let mut out = Vec::new();
    picture.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).unwrap();
    out
}

fn media_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shopflow-media-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

fn files_in(dir: &Path) -> usize {
    walk(dir).len()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

async fn product(db: &Db, state: &str) -> i64 {
    sqlx::query_as::<_, (i64,)>("SELECT MIN(id) FROM products WHERE state = $1").bind(state).fetch_one(db.pool()).await.unwrap().0
}

on_both_backends!(an_image_is_stored_with_a_thumbnail_and_can_be_removed, async |db: Db| {
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let media = media_dir();
    let draft = product(&db, "draft").await;
    let img = images::add_image(&db, &specialist, &media, draft, "longjing tin.png", png(900, 600)).await.unwrap();
    assert_eq!((img.width, img.height, img.file_name.as_str()), (900, 600, "longjing tin.png"));
    assert!(img.url.starts_with(&format!("/media/products/{draft}/")) && img.url.ends_with(".png"), "{}", img.url);
    let thumb = media.join(img.thumb_url.trim_start_matches("/media/"));
    let (w, h) = image::image_dimensions(&thumb).unwrap();
    assert_eq!((w, h), (320, 213), "the thumbnail fits in 320 × 320 and keeps the shape");
    assert!(media.join(img.url.trim_start_matches("/media/")).exists());
    let d = catalog::detail(&db, &specialist, draft).await.unwrap();
    assert_eq!(d.images, [img.clone()]);
    assert_eq!(d.events.last().unwrap().action, "add_image");
    images::remove_image(&db, &specialist, &media, img.id).await.unwrap();
    assert_eq!(files_in(&media), 0, "both files are gone");
    assert!(catalog::detail(&db, &specialist, draft).await.unwrap().images.is_empty());
    let _ = std::fs::remove_dir_all(&media);
});

on_both_backends!(bad_images_are_refused_and_leave_nothing, async |db: Db| {
    let specialist = demo_actor(&db, "specialist@shopflow.test").await;
    let customer = demo_actor(&db, "customer@shopflow.test").await;
    let media = media_dir();
    let draft = product(&db, "draft").await;
    let mut truncated = png(200, 200);
    truncated.truncate(truncated.len() / 2);
    let mut oversized = png(10, 10);
    oversized.resize(5 * 1024 * 1024 + 1, 0);
    for (bytes, says) in [
        (b"%PDF-1.7 not an image".to_vec(), "PNG, JPEG"),
        (Vec::new(), "choose an image"),
        (oversized, "5 MB"),
        (truncated, "not a readable image"),
        (png(8001, 1), "8000 pixels"),
    ] {
        let err = images::add_image(&db, &specialist, &media, draft, "x.png", bytes).await.unwrap_err();
        let message = err.field_message("file").unwrap_or_else(|| panic!("{err:?}"));
        assert!(message.contains(says), "{message}");
    }
    let listed = product(&db, "listed").await;
    assert!(matches!(images::add_image(&db, &specialist, &media, listed, "a.png", png(10, 10)).await, Err(AppError::InvalidTransition { .. })));
    assert_eq!(images::add_image(&db, &customer, &media, draft, "a.png", png(10, 10)).await.unwrap_err(), AppError::Forbidden);
    assert_eq!(images::add_image(&db, &specialist, &media, 999_999, "a.png", png(10, 10)).await.unwrap_err(), AppError::NotFound);
    assert_eq!(files_in(&media), 0, "no file left behind");
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM product_images").fetch_one(db.pool()).await.unwrap();
    assert_eq!(rows, 0);
    let _ = std::fs::remove_dir_all(&media);
});
