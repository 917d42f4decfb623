import { expect, Page, test } from '@playwright/test';
import { hydrated, signIn, signOut } from './helpers';

/** Opens the catalog page of the product with this SKU. */
async function openProduct(page: Page, sku: string) {
  await page.goto(`/catalog?q=${sku}`);
  await page.locator('[data-catalog-item] a').first().click();
  await page.waitForURL(/\/catalog\/\d+$/);
  await hydrated(page);
}

async function step(page: Page, action: string, state: string) {
  await page.click(`[data-testid="${action}"]`);
  await expect(page.locator(`.page-head [data-state="${state}"]`)).toBeVisible();
}

test('a customer orders and pays; the warehouse picks and packs; logistics ships; the customer sees the tracking number', async ({ page }) => {
  await signIn(page, 'customer@shopflow.test');
  await openProduct(page, 'LJ-100G');
  const row = page.locator('tr[data-sku="LJ-100G"]');
  await row.locator('input[name="quantity"]').fill('2');
  await row.locator('button[type="submit"]').click();
  await expect(row.locator('[data-testid="added"]')).toBeVisible();
  await openProduct(page, 'CUP-CEL-80');
  await page.locator('tr[data-sku="CUP-CEL-80"] button[type="submit"]').click();
  await expect(page.locator('tr[data-sku="CUP-CEL-80"] [data-testid="added"]')).toBeVisible();

  await page.goto('/cart');
  await hydrated(page);
  await expect(page.locator('[data-testid="cart-lines"] tbody tr')).toHaveCount(2);
  // 2 × 128.00 + 45.00, shipped free; express costs 20.00 more.
  await expect(page.locator('[data-testid="total"]')).toHaveText('¥301.00');
  await page.check('input[name="shipping_method"][value="express"]');
  await expect(page.locator('[data-testid="total"]')).toHaveText('¥321.00');
  await page.check('input[name="shipping_method"][value="standard"]');
  // A bad phone number is refused where the user is.
  await page.fill('input[name="recipient"]', 'Cathy Customer');
  await page.fill('input[name="phone"]', 'call me');
  await page.fill('textarea[name="address"]', '88 Century Ave, Pudong, Shanghai');
  await page.click('[data-testid="place-order"]');
  await expect(page.locator('.field-error[data-field="phone"]')).toBeVisible();
  await page.fill('input[name="phone"]', '+86 138 0013 8000');
  await page.click('[data-testid="place-order"]');
  await page.waitForURL(/\/my\/orders\/\d+$/);
  const orderPath = new URL(page.url()).pathname;
  const orderId = orderPath.split('/').pop();
  await hydrated(page);
  await expect(page.locator('.page-head [data-state="placed"]')).toBeVisible();

  // A declined card, then a good one.
  await page.fill('input[name="holder"]', 'CATHY CUSTOMER');
  await page.fill('input[name="number"]', '4000 0000 0000 0002');
  await page.fill('input[name="expiry"]', '12/39');
  await page.fill('input[name="cvc"]', '123');
  await page.click('[data-testid="pay-now"]');
  await expect(page.locator('.field-error[data-field="card"]')).toContainText('declined');
  await page.fill('input[name="number"]', '4242 4242 4242 4242');
  await page.click('[data-testid="pay-now"]');
  // Confirmed and released to the warehouse by itself.
  await expect(page.locator('.page-head [data-state="allocated"]')).toBeVisible();
  await expect(page.locator('.timeline [data-action="confirm"]')).toBeVisible();
  await signOut(page);

  await signIn(page, 'warehouse@shopflow.test');
  await page.goto('/dept/warehouse');
  await page.click('a[data-link="/orders?state=allocated"]');
  await page.locator(`tr[data-order="${orderId}"] a`).click();
  await page.waitForURL(/\/orders\/\d+$/);
  await hydrated(page);
  await expect(page.locator('.parcel[data-parcel="GZ"] .pick-list tbody tr')).toHaveCount(2);
  await step(page, 'pick', 'picking');
  await step(page, 'pack', 'packed');
  await signOut(page);

  await signIn(page, 'logistics@shopflow.test');
  await page.goto(`/orders/${orderId}`);
  await hydrated(page);
  await page.click('[data-testid="ship"]');
  await expect(page.locator('.field-error[data-field="shipments"]')).toBeVisible();
  await page.selectOption('[data-testid="ship-parcel"] select[name="carrier"]', 'jd');
  await page.fill('[data-testid="ship-parcel"] input[name="tracking_number"]', 'JD0012345678');
  await step(page, 'ship', 'shipped');
  await signOut(page);

  await signIn(page, 'customer@shopflow.test');
  await page.goto(orderPath);
  await expect(page.locator('.page-head [data-state="shipped"]')).toBeVisible();
  await expect(page.locator('[data-testid="tracking"]')).toHaveText('JD0012345678');
  await expect(page.locator('[data-testid="parcels"]')).toContainText('JD Logistics');
});

test('another customer cannot open the order, and a customer can cancel an unpaid one', async ({ page }) => {
  await signIn(page, 'customer@shopflow.test');
  await openProduct(page, 'QM-200G');
  await page.locator('tr[data-sku="QM-200G"] button[type="submit"]').click();
  await expect(page.locator('[data-testid="added"]')).toBeVisible();
  await page.goto('/cart');
  await hydrated(page);
  // The address of the last order is filled in.
  await expect(page.locator('input[name="recipient"]')).toHaveValue('Cathy Customer');
  await page.click('[data-testid="place-order"]');
  await page.waitForURL(/\/my\/orders\/\d+$/);
  const orderPath = new URL(page.url()).pathname;
  await hydrated(page);
  await page.fill('.step[data-action="cancel"] textarea[name="reason"]', 'changed my mind');
  await step(page, 'cancel', 'cancelled');
  await expect(page.locator('[data-testid="cancel-reason"]')).toContainText('changed my mind');
  await signOut(page);

  // A new customer registers and tries the first one's order.
  await page.goto('/register');
  await hydrated(page);
  await page.fill('input[name="name"]', 'Nosy Parker');
  await page.fill('input[name="email"]', `nosy${Date.now()}@example.test`);
  await page.fill('input[name="password"]', 'a-long-password');
  await page.click('button[type="submit"]');
  await page.waitForURL('**/portal');
  const res = await page.goto(orderPath);
  expect(res?.status()).toBe(404);
  await expect(page.locator('[data-page="not-found"]')).toBeVisible();
});
