//! The browser's own files under `/pkg`: the client's WASM and JavaScript and the stylesheet.
//!
//! They are sent gzip-compressed to every browser that accepts it: the WASM is 3.4 MB as
//! built and about a third of that compressed (BENCHMARKS.md). Compressing 3.4 MB on every
//! request would cost the server tens of milliseconds each time, so each file is compressed
//! once, at start-up, into `name.gz` beside it, and served from there (as `leptos_axum`'s
//! file handler also would, had anything written the copies).

use axum::http::{header, HeaderValue};
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;

/// The kinds of file worth compressing (the others are images, compressed already).
const COMPRESSIBLE: &[&str] = &["wasm", "js", "css", "svg"];

/// Where the client's files are: `site_root/site_pkg_dir` (`target/site/pkg` by default).
pub fn folder(options: &leptos::config::LeptosOptions) -> PathBuf {
    Path::new(&*options.site_root).join(&*options.site_pkg_dir)
}

/// The files of `dir`, compressed for browsers that accept gzip. They are revalidated on
/// every page load (`no-cache`; unchanged files answer 304): their names stay the same from
/// one build to the next, and a browser must not run an old client against a new server,
/// whose pages it could not hydrate.
pub fn service(dir: &Path) -> SetResponseHeader<ServeDir, HeaderValue> {
    SetResponseHeader::overriding(ServeDir::new(dir).precompressed_gzip(), header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))
}

/// Writes `name.gz` beside every compressible file of `dir` that has none or one older than
/// the file (a new build); returns how many it wrote. Each is written to a name of this
/// process's own and then renamed, so that instances starting together on one folder never
/// serve half a file.
pub fn precompress(dir: &Path) -> std::io::Result<usize> {
    let mut written = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let compressible = path.extension().and_then(|e| e.to_str()).is_some_and(|e| COMPRESSIBLE.contains(&e));
        if !compressible || !path.is_file() {
            continue;
        }
        let packed = with_suffix(&path, ".gz");
        if is_up_to_date(&packed, &path) {
            continue;
        }
        let partial = with_suffix(&path, &format!(".gz.{}", std::process::id()));
        let result = gzip(&path, &partial).and_then(|()| std::fs::rename(&partial, &packed));
        if result.is_err() {
            // An older build's copy must not be served for this build's file.
            let _ = std::fs::remove_file(&partial);
            let _ = std::fs::remove_file(&packed);
        }
        result?;
        written += 1;
    }
    Ok(written)
}

fn gzip(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut input = std::fs::File::open(from)?;
    let mut output = flate2::write::GzEncoder::new(std::fs::File::create(to)?, flate2::Compression::best());
    std::io::copy(&mut input, &mut output)?;
    output.finish()?;
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Whether `packed` exists and was written after `source` last changed.
fn is_up_to_date(packed: &Path, source: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    matches!((modified(packed), modified(source)), (Some(p), Some(s)) if p >= s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("shopflow-assets-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn gunzip(path: &Path) -> String {
        let mut text = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_string(&mut text).unwrap();
        text
    }

    #[test]
    fn compresses_the_clients_files_once_and_again_after_a_build() {
        let dir = folder("once");
        std::fs::write(dir.join("app.js"), "console.log('one');".repeat(100)).unwrap();
        std::fs::write(dir.join("app.css"), "body { color: red }").unwrap();
        std::fs::write(dir.join("photo.png"), [0x89, b'P', b'N', b'G']).unwrap();
        assert_eq!(precompress(&dir).unwrap(), 2, "the script and the style sheet, not the image");
        assert_eq!(gunzip(&dir.join("app.js.gz")), "console.log('one');".repeat(100));
        assert!(!dir.join("photo.png.gz").exists());
        assert_eq!(precompress(&dir).unwrap(), 0, "nothing changed since");
        // A new build of the script: its compressed copy is written again, and only its.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(dir.join("app.js"), "console.log('two');").unwrap();
        assert_eq!(precompress(&dir).unwrap(), 1);
        assert_eq!(gunzip(&dir.join("app.js.gz")), "console.log('two');");
        let names: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names.len(), 5, "no partial files are left: {names:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_folder_is_an_error_not_a_panic() {
        assert!(precompress(Path::new("/nonexistent/shopflow/pkg")).is_err());
    }
}
