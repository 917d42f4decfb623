import { expect } from '@playwright/test';
import { expectStatus, navKeys, signIn, test } from './helpers';

// Each demo account sees exactly the sections its role may enter.
const expected: Record<string, string[]> = {
  'admin@shopflow.test': ['home', 'product', 'orders', 'warehouse', 'logistics', 'service', 'marketing', 'finance', 'operations', 'alerts', 'improvement', 'users', 'roles', 'audit', 'outbox'],
  'pm@shopflow.test': ['home', 'product', 'alerts', 'improvement'],
  'specialist@shopflow.test': ['home', 'product', 'improvement'],
  'orders@shopflow.test': ['home', 'orders', 'improvement'],
  'warehouse@shopflow.test': ['home', 'warehouse', 'alerts', 'improvement'],
  'logistics@shopflow.test': ['home', 'logistics', 'improvement'],
  'service@shopflow.test': ['home', 'service', 'improvement'],
  'senior@shopflow.test': ['home', 'service', 'improvement'],
  'marketing@shopflow.test': ['home', 'marketing', 'improvement'],
  'finance@shopflow.test': ['home', 'finance', 'improvement'],
  'ops@shopflow.test': ['home', 'product', 'orders', 'warehouse', 'logistics', 'service', 'marketing', 'finance', 'operations', 'alerts', 'improvement', 'audit'],
  'customer@shopflow.test': ['home', 'portal', 'catalog', 'cart', 'my-orders', 'my-tickets'],
};

for (const [email, keys] of Object.entries(expected)) {
  test(`${email} sees only its departments`, async ({ page }) => {
    await signIn(page, email);
    expect(await navKeys(page)).toEqual(keys);
    if (email === 'customer@shopflow.test') {
      await expect(page).toHaveURL(/\/portal$/);
    } else {
      await expect(page.locator('[data-page="dashboard"]')).toBeVisible();
    }
  });
}

test('a user without the permission gets 403 on the page and a denial from the server function', async ({ page }) => {
  await signIn(page, 'orders@shopflow.test');
  await expectStatus(page, '/admin/users', 403);
  await expect(page.locator('[data-page="forbidden"]')).toBeVisible();
  await expectStatus(page, '/dept/finance', 403);
  const res = await page.request.post('/api/list_users', { data: '', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  expect(res.status()).toBe(403);
  expect(await res.json()).toBe('Forbidden');
});

test('visitors are sent to sign-in, and a wrong password gets a message that names no account', async ({ page }) => {
  await page.goto('/admin/roles');
  await expect(page).toHaveURL(/\/login$/);
  await page.fill('input[name="email"]', 'nobody@shopflow.test');
  await page.fill('input[name="password"]', 'wrong password');
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.click('button[type="submit"]');
  await expect(page.locator('.field-error[data-field="password"]')).toHaveText(/email or the password is wrong/);
});
