import { expect, Page } from '@playwright/test';
import { hydrated, signIn, signOut, test } from './helpers';

/** On hand of a SKU in one warehouse, from the SKU's stock page. */
async function onHandIn(page: Page, skuPage: string, warehouse: string): Promise<number> {
  await page.goto(skuPage);
  const row = page.locator(`tr[data-warehouse="${warehouse}"] td`);
  return (await row.count()) === 0 ? 0 : Number(await row.nth(1).innerText());
}

async function stockPageOf(page: Page, sku: string): Promise<string> {
  await page.goto(`/stock?q=${sku}`);
  return (await page.locator(`tr[data-stock="${sku}"] a`).first().getAttribute('href'))!;
}

test('a transfer is shipped from one warehouse and received short in the other', async ({ page }) => {
  await signIn(page, 'warehouse@shopflow.test');
  const sku = await stockPageOf(page, 'LJ-250G');
  const [shBefore, gzBefore] = [await onHandIn(page, sku, 'SH'), await onHandIn(page, sku, 'GZ')];
  await page.goto('/transfers/new');
  await hydrated(page);
  await page.selectOption('select[name="from_warehouse"]', { label: 'SH · Shanghai central' });
  await page.selectOption('select[name="to_warehouse"]', { label: 'SH · Shanghai central' });
  await page.locator('[data-line] input[name="sku"]').fill('lj-250g');
  await page.locator('[data-line] input[name="quantity"]').fill('4');
  // The same warehouse at both ends is refused where the user is.
  await page.click('[data-testid="save-transfer"]');
  await expect(page.locator('.field-error[data-field="to_warehouse"]')).toBeVisible();
  await page.selectOption('select[name="to_warehouse"]', { label: 'GZ · Guangzhou south' });
  await page.click('[data-testid="save-transfer"]');
  await page.waitForURL(/\/transfers\/\d+$/);
  const url = page.url();
  await hydrated(page);
  await expect(page.locator('.page-head [data-state="requested"]')).toBeVisible();
  await page.fill('.step[data-action="ship"] input[name="fields[waybill]"]', 'SF-E2E-1');
  await page.click('[data-testid="ship"]');
  await expect(page.locator('.page-head [data-state="in_transit"]')).toBeVisible();
  expect(await onHandIn(page, sku, 'SH')).toBe(shBefore - 4);

  await page.goto(url);
  await hydrated(page);
  const line = page.locator('tr[data-line-sku="LJ-250G"]');
  await line.locator('input[data-name="received"]').fill('3');
  await page.click('[data-testid="receive"]');
  await expect(page.locator('.field-error[data-field="lines"]')).toContainText('Line 1');
  await line.locator('input[data-name="shortfall_reason"]').fill('one box crushed in transit');
  await page.click('[data-testid="receive"]');
  await expect(page.locator('.page-head [data-state="received"]')).toBeVisible();
  await expect(page.locator('tr[data-line-sku="LJ-250G"] td.alert')).toHaveText('3');
  expect(await onHandIn(page, sku, 'GZ')).toBe(gzBefore + 3);
  // The missing box is in the warehouse's alert inbox.
  await page.goto('/alerts');
  await expect(page.locator('[data-alert="transfer_shortfall"]').first()).toBeVisible();
});

test('a count with a large difference waits for a manager, who approves it', async ({ page }) => {
  await signIn(page, 'warehouse@shopflow.test');
  const sku = await stockPageOf(page, 'LJ-100G');
  const before = await onHandIn(page, sku, 'SH');
  await page.goto('/counts/new');
  await hydrated(page);
  await page.selectOption('select[name="warehouse"]', { label: 'SH · Shanghai central' });
  await page.fill('textarea[name="skus"]', 'LJ-100G');
  await page.click('[data-testid="save-count"]');
  await page.waitForURL(/\/counts\/\d+$/);
  const url = page.url();
  await hydrated(page);
  await expect(page.locator('.page-head [data-state="counting"]')).toBeVisible();
  // Blind: the books are not shown while counting.
  await expect(page.locator('[data-testid="count-lines"] th')).toHaveCount(4);
  const line = page.locator('tr[data-line-sku="LJ-100G"]');
  await line.locator('input[data-name="counted"]').fill(String(before - 25));
  await page.click('[data-testid="record"]');
  await expect(page.locator('.field-error[data-field="lines"]')).toContainText('Line 1');
  await line.locator('input[data-name="reason"]').fill('water damage in aisle 3');
  await page.click('[data-testid="record"]');
  await expect(page.locator('.page-head [data-state="counted"]')).toBeVisible();
  await expect(page.locator('[data-testid="needs-approval"]')).toBeVisible();
  await expect(page.locator('[data-testid="post"]')).toHaveCount(0);
  await expect(page.locator('[data-testid="differences"]')).toContainText('25');
  await signOut(page);

  await signIn(page, 'ops@shopflow.test');
  await page.goto(url);
  await hydrated(page);
  await page.fill('.step[data-action="approve"] textarea[name="fields[note]"]', 'checked the damaged tins');
  await page.click('[data-testid="approve"]');
  await expect(page.locator('.page-head [data-state="posted"]')).toBeVisible();
  expect(await onHandIn(page, sku, 'SH')).toBe(before - 25);
  await expect(page.locator('tr[data-movement="adjust"]').first()).toContainText('water damage in aisle 3');
});
