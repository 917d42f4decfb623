-- Product images: files in the media folder (SHOPFLOW_MEDIA_DIR), described here. `path`
-- and `thumb_path` are relative to the folder and served under /media/.
CREATE TABLE product_images (
    id {{PK}},
    product_id BIGINT NOT NULL REFERENCES products (id),
    file_name TEXT NOT NULL,
    path TEXT NOT NULL,
    thumb_path TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX product_images_by_product ON product_images (product_id, id);
