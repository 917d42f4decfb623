import { expect, Page } from '@playwright/test';
import { hydrated, signIn, signOut, test } from './helpers';

/** A 2×2 PNG. */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGM4IScHRAwQCgAfJgQRoo8irwAAAABJRU5ErkJggg==';

async function fillSku(page: Page, row: number, values: { code: string; attributes?: string; price: string; cost?: string; reorder?: string }) {
  const r = page.locator('[data-sku-row]').nth(row);
  await r.locator('input[data-name="code"]').fill(values.code);
  await r.locator('input[data-name="attributes"]').fill(values.attributes ?? '');
  await r.locator('input[data-name="price"]').fill(values.price);
  await r.locator('input[data-name="cost"]').fill(values.cost ?? '');
  await r.locator('input[data-name="reorder_point"]').fill(values.reorder ?? '');
}

test('a specialist drafts a product with an image, the manager approves it, and a customer finds it', async ({ page }) => {
  await signIn(page, 'specialist@shopflow.test');
  await page.goto('/products/new');
  await hydrated(page);
  await page.fill('input[name="input[title]"]', 'Baihao Yinzhen white tea 白毫银针');
  await page.fill('textarea[name="input[description]"]', 'Silver needle buds from Fuding. 福鼎白茶，芽头肥壮。');
  const green = await page.locator('select[name="input[category_id]"] option', { hasText: 'Green tea' }).getAttribute('value');
  await page.selectOption('select[name="input[category_id]"]', green!);
  await page.fill('input[name="input[tags]"]', 'white tea, 白茶, gift');
  // A price of zero is refused where the user is, and nothing is saved.
  await fillSku(page, 0, { code: 'BH-50G', attributes: '50 g', price: '0', cost: '80' });
  await page.click('[data-testid="save-product"]');
  await expect(page.locator('.field-error[data-field="skus"]')).toContainText('Line 1');
  await expect(page).toHaveURL(/\/products\/new$/);
  await fillSku(page, 0, { code: 'BH-50G', attributes: '50 g', price: '168.00', cost: '80', reorder: '5' });
  await page.click('[data-testid="add-sku"]');
  await fillSku(page, 1, { code: 'BH-100G', attributes: '100 g', price: '318', cost: '150', reorder: '5' });
  await page.click('[data-testid="save-product"]');
  await page.waitForURL(/\/products\/\d+$/);
  const url = page.url();
  await hydrated(page);
  await expect(page.locator('.page-head [data-state="draft"]')).toBeVisible();
  await expect(page.locator('tr[data-sku]')).toHaveCount(2);
  // An image: a file that is not one is refused where the user is; a real one gets a thumbnail.
  const upload = page.locator('[data-testid="image-upload"]');
  await upload.locator('input[name="file"]').setInputFiles({ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('just text') });
  await page.click('[data-testid="upload-image"]');
  await expect(page.locator('.field-error[data-field="file"]')).toContainText('PNG, JPEG');
  await upload.locator('input[name="file"]').setInputFiles({ name: 'baihao.png', mimeType: 'image/png', buffer: Buffer.from(PNG, 'base64') });
  await page.click('[data-testid="upload-image"]');
  await expect(page.locator('[data-testid="product-images"] li img')).toHaveCount(1);
  const thumb = await page.locator('[data-testid="product-images"] li img').getAttribute('src');
  expect((await page.request.get(thumb!)).headers()['content-type']).toContain('image/jpeg');
  // A draft is not in the shop.
  const draftRes = await page.request.post('/api/search_catalog', { form: { 'query[q]': 'baihao' } });
  expect((await draftRes.json()).total).toBe(0);
  await page.locator('form.step[data-action="submit"] button[type="submit"]').click();
  await expect(page.locator('.page-head [data-state="submitted"]')).toBeVisible();
  await expect(page.locator('form.step[data-action]')).toHaveCount(0);
  await signOut(page);

  await signIn(page, 'pm@shopflow.test');
  await page.goto('/products?state=submitted');
  await hydrated(page);
  await page.locator('tr[data-product] a', { hasText: 'Baihao Yinzhen' }).click();
  await page.waitForURL(url);
  await hydrated(page);
  await page.locator('form.step[data-action="approve"] textarea').fill('Prices checked against cost.');
  await page.locator('form.step[data-action="approve"] button[type="submit"]').click();
  await expect(page.locator('.page-head [data-state="listed"]')).toBeVisible();
  await expect(page.locator('.timeline [data-action="approve"]')).toBeVisible();
  await hydrated(page);
  // A small price change applies at once and is kept in the history; the page loads again
  // and says so.
  const change = page.locator('[data-testid="change-price"]');
  await change.locator('select[name="sku_id"]').selectOption({ index: 0 });
  await change.locator('input[name="new_price"]').fill('175');
  await change.locator('input[name="reason"]').fill('tin price up');
  await change.locator('button[type="submit"]').click();
  await expect(page.locator('[data-testid="price-outcome"]')).toBeVisible();
  await expect(page.locator('[data-testid="price-history"] tbody tr')).toHaveCount(1);
  await expect(page.locator('tr[data-sku="BH-50G"]')).toContainText('¥175.00');
  await signOut(page);

  await signIn(page, 'customer@shopflow.test');
  await page.locator('nav.mainnav [data-nav="catalog"]').click();
  await page.waitForURL(/\/catalog/);
  await page.fill('input[name="q"]', '白毫');
  await page.locator('[data-testid="catalog-search"] button[type="submit"]').click();
  await page.waitForURL(/q=/);
  const item = page.locator('[data-catalog-item]');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('Baihao Yinzhen');
  await expect(item).toContainText('¥175.00');
  await expect(item.locator('img.card-image')).toBeVisible();
  await item.locator('a', { has: page.locator('h3') }).click();
  await expect(page.locator('[data-page="catalog-product"] h1')).toHaveText('Baihao Yinzhen white tea 白毫银针');
  await expect(page.locator('[data-testid="catalog-images"] img')).toHaveCount(1);
  await expect(page.locator('tr[data-sku]')).toHaveCount(2);
  // The staff page of the same product is not for customers.
  const staff = await page.goto(url);
  expect(staff?.status()).toBe(403);
});

test('a receipt is counted, inspected and posted, and the stock appears', async ({ page }) => {
  await signIn(page, 'warehouse@shopflow.test');
  await page.goto('/stock?q=QM-200G');
  const before = Number(await page.locator('tr[data-stock="QM-200G"] td').nth(2).innerText());
  await page.goto('/receipts/new');
  await hydrated(page);
  await page.fill('input[name="supplier"]', 'Qimen Tea Factory');
  await page.fill('input[name="reference"]', 'PO-E2E-1');
  await page.locator('[data-line] input[name="sku"]').fill('qm-200g');
  await page.locator('[data-line] input[name="expected"]').fill('12');
  await page.click('[data-testid="save-receipt"]');
  await page.waitForURL(/\/receipts\/\d+$/);
  await hydrated(page);
  await expect(page.locator('.page-head [data-state="registered"]')).toBeVisible();
  const line = page.locator('tr[data-line-sku="QM-200G"]');
  await line.locator('input[data-name="received"]').fill('12');
  await line.locator('input[data-name="accepted"]').fill('10');
  await line.locator('input[data-name="rejected"]').fill('2');
  // Rejected goods need a defect reason.
  await page.click('[data-testid="inspect"]');
  await expect(page.locator('.field-error[data-field="lines"]')).toBeVisible();
  await line.locator('input[data-name="defect_reason"]').fill('tins dented');
  await page.click('[data-testid="inspect"]');
  await expect(page.locator('.page-head [data-state="inspected"]')).toBeVisible();
  await page.click('[data-testid="post"]');
  await expect(page.locator('.page-head [data-state="posted"]')).toBeVisible();
  await page.locator('tr[data-line-sku="QM-200G"] a').click();
  await expect(page.locator('[data-testid="on-hand"]')).toHaveText(String(before + 10));
  await expect(page.locator('tr[data-movement="receipt"]').first()).toContainText('PO-E2E-1');
});

test('the warehouse acknowledges and resolves a low-stock alert', async ({ page }) => {
  await signIn(page, 'warehouse@shopflow.test');
  await page.locator('nav.mainnav [data-nav="alerts"]').click();
  await page.waitForURL(/\/alerts/);
  await hydrated(page);
  const alert = page.locator('.alert-item[data-alert="low_stock"]', { hasText: 'CUP-CEL-80' }).filter({ hasText: 'GZ' });
  await expect(alert).toHaveCount(1);
  await alert.locator('[data-testid="ack"]').click();
  await expect(alert).toHaveAttribute('data-alert-state', 'acknowledged');
  await alert.locator('input[name="note"]').fill('Ordered 50 cups from the kiln');
  await alert.locator('[data-testid="resolve"]').click();
  await expect(alert).toHaveCount(0);
  await page.goto('/alerts?alerts=resolved');
  await expect(page.locator('.alert-item', { hasText: 'Ordered 50 cups from the kiln' })).toHaveCount(1);
});

test('a specialist imports products from CSV, follows the progress and reads the bad rows', async ({ page }) => {
  await signIn(page, 'specialist@shopflow.test');
  await page.goto('/products');
  await hydrated(page);
  await page.click('[data-testid="import-csv"]');
  await page.waitForURL('**/products/import');
  await hydrated(page);
  const csv = [
    'handle,title,description,category,tags,sku,variant,price,cost',
    'mj,Mao Jian 毛尖,Xinyang green tea,Tea 茶叶 / Green tea 绿茶,green|henan,MJ-E2E-1,100 g,88.00,40',
    'mj,,,,,MJ-E2E-2,250 g,198.00,90',
    'bad,Free tea,Nothing,,,BAD-E2E-1,,0,',
  ].join('\n');
  await page.setInputFiles('input[name="file"]', { name: 'teas.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.click('[data-testid="start-import"]');
  await expect(page.locator('[data-testid="import-job"][data-state="done"]')).toBeVisible();
  await expect(page.locator('[data-testid="imported"]')).toHaveText('1');
  await expect(page.locator('tr[data-bad-line="4"]')).toContainText('Price');
  await page.goto('/products?state=draft&q=Mao%20Jian');
  await expect(page.locator('table.data tbody tr')).toHaveCount(1);
  // The export is a CSV download in the same format.
  const res = await page.request.get('/products/export.csv?state=draft');
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toContain('text/csv');
  expect(await res.text()).toContain('MJ-E2E-2,250 g,198.00,90.00');
});
