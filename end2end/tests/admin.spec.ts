import { expect } from '@playwright/test';
import { expectStatus, hydrated, navKeys, signIn, signOut, test } from './helpers';

test('an admin creates a role, grants a permission and assigns it; the user then sees the page', async ({ page }) => {
  await signIn(page, 'admin@shopflow.test');
  // A staff account with no role yet, so that no other test's account changes.
  const created = await page.request.post('/api/create_staff', {
    data: { name: 'Tang Yu', email: 'tang.yu@shopflow.test', password: 'stock-audit-9', roles: [] },
  });
  expect(created.status()).toBe(200);

  await page.goto('/admin/roles');
  await hydrated(page);
  await page.fill('[data-testid="new-role"] input[name="role_name"]', 'Stock auditors');
  await page.click('[data-testid="new-role"] button[type="submit"]');
  const card = page.locator('article.role[data-role="Stock auditors"]');
  await expect(card).toBeVisible();
  await card.locator('summary').click();
  await card.locator('input[data-permission="page.warehouse"]').check();
  await expect(card.locator('summary')).toContainText('1');

  await page.goto('/admin/users');
  await hydrated(page);
  const row = page.locator('tr[data-user="tang.yu@shopflow.test"]');
  await expect(row.locator('summary')).toContainText('0');
  await row.locator('summary').click();
  await row.locator('input[data-role="Stock auditors"]').check();
  await expect(page.locator('tr[data-user="tang.yu@shopflow.test"] summary')).toContainText('1');
  await signOut(page);

  await signIn(page, 'tang.yu@shopflow.test', 'stock-audit-9');
  expect(await navKeys(page)).toEqual(['home', 'warehouse']);
  await expectStatus(page, '/dept/warehouse', 200);
  await expect(page.locator('[data-page="department"][data-dept="warehouse"]')).toBeVisible();
  await expectStatus(page, '/dept/finance', 403);
});

test('an admin creates a staff account that can sign in', async ({ page }) => {
  await signIn(page, 'admin@shopflow.test');
  await page.goto('/admin/users');
  await hydrated(page);
  const form = page.locator('[data-testid="new-staff"]');
  await form.locator('input[name="name"]').fill('Gao Peng');
  await form.locator('input[name="email"]').fill('not-an-email');
  await form.locator('input[name="password"]').fill('packing-bench-7');
  // The browser's own check would stop an invalid email; turn it off to see the server's.
  await form.evaluate((f: HTMLFormElement) => (f.noValidate = true));
  await form.locator('button[type="submit"]').click();
  await expect(form.locator('.field-error[data-field="email"]')).toBeVisible();
  await form.locator('input[name="email"]').fill('gao.peng@shopflow.test');
  await form.locator('input[data-role="Warehouse staff"]').check();
  await form.locator('button[type="submit"]').click();
  await expect(page.locator('tr[data-user="gao.peng@shopflow.test"]')).toBeVisible();
  await signOut(page);
  await signIn(page, 'gao.peng@shopflow.test', 'packing-bench-7');
  expect(await navKeys(page)).toEqual(['home', 'warehouse', 'alerts', 'improvement']);
});
