import { createHmac } from 'node:crypto';
import { expect } from '@playwright/test';
import { hydrated, signIn, signOut, test } from './helpers';

test('logistics adds a carrier and a priced service; the customer keeps an address and chooses the service at checkout', async ({ page }) => {
  await signIn(page, 'logistics@shopflow.test');
  await page.goto('/dept/logistics');
  await hydrated(page);
  await page.click('a[data-link="/carriers"]');
  await page.waitForURL('**/carriers');
  await hydrated(page);
  await expect(page.locator('article[data-carrier="sf"] tr[data-service="express"]')).toBeVisible();

  await page.click('[data-testid="new-carrier"]');
  const carrier = page.locator('[data-testid="carrier-form"]');
  await carrier.locator('input[name="input[code]"]').fill('e2e-post');
  await carrier.locator('input[name="input[name_en]"]').fill('E2E Post');
  await carrier.locator('input[name="input[name_zh]"]').fill('测试邮政');
  await carrier.locator('input[name="input[tracking_url]"]').fill('https://post.example/track');
  await page.click('[data-testid="save-carrier"]');
  // The tracking page must say where the number goes.
  await expect(carrier.locator('.field-error[data-field="tracking_url"]')).toBeVisible();
  await carrier.locator('input[name="input[tracking_url]"]').fill('https://post.example/track/{number}');
  await page.click('[data-testid="save-carrier"]');
  // Saved, the page loads again with the new carrier.
  const card = page.locator('article[data-carrier="e2e-post"]');
  await expect(card).toBeVisible();
  await hydrated(page);

  await card.locator('[data-testid="new-service"]').click();
  const service = card.locator('[data-testid="service-form"]');
  await expect(service.locator('select[name="input[carrier]"]')).toHaveValue('e2e-post');
  await service.locator('input[name="input[code]"]').fill('e2e-post-std');
  await service.locator('input[name="input[name_en]"]').fill('Registered mail');
  await service.locator('input[name="input[fee]"]').fill('twelve');
  await service.locator('input[name="input[days_min]"]').fill('3');
  await service.locator('input[name="input[days_max]"]').fill('5');
  await card.locator('[data-testid="save-service"]').click();
  await expect(service.locator('.field-error[data-field="fee"]')).toBeVisible();
  await service.locator('input[name="input[fee]"]').fill('31.50');
  await card.locator('[data-testid="save-service"]').click();
  await expect(card.locator('tr[data-service="e2e-post-std"]')).toContainText('¥31.50');
  await hydrated(page);

  // The carrier gets a webhook secret of its own, shown once; its address takes calls signed
  // with it (the unknown parcel is then the only complaint) and refuses any other signature.
  await expect(card.locator('[data-testid="webhook-shared"]')).toBeVisible();
  await card.locator('[data-testid="new-webhook-secret"]').click();
  const secret = (await card.locator('[data-testid="new-secret"]').textContent()) ?? '';
  expect(secret).toMatch(/^[0-9a-f]{64}$/);
  await expect(card.locator('[data-testid="webhook-own"]')).toContainText(secret.slice(-4));
  const body = JSON.stringify({ carrier: 'e2e-post', tracking_number: 'NOPE-1', events: [{ id: 'e2e-1', status: 'in_transit', at: Date.now() }] });
  const post = (key: string) => page.request.post('/webhooks/tracking/e2e-post', {
    data: body,
    headers: { 'content-type': 'application/json', 'x-shopflow-signature': 'sha256=' + createHmac('sha256', key).update(body).digest('hex') },
  });
  expect((await post(secret)).status()).toBe(404);
  expect((await post('not-the-secret')).status()).toBe(401);
  // Back on the page later, the secret itself is gone; only its last characters remain.
  await page.reload();
  await hydrated(page);
  await expect(card.locator('[data-testid="webhook-own"]')).toContainText(secret.slice(-4));
  await expect(card.locator('[data-testid="new-secret"]')).toHaveCount(0);
  await signOut(page);

  await signIn(page, 'customer@shopflow.test');
  // The address book: a bad phone is refused beside the field, a good entry is the default.
  await page.goto('/my/addresses');
  await hydrated(page);
  const form = page.locator('[data-testid="address-form"]');
  await form.locator('input[data-name="label"]').fill('Office');
  await form.locator('input[data-name="recipient"]').fill('Cathy Customer');
  await form.locator('input[data-name="phone"]').fill('call me');
  await form.locator('textarea[data-name="address"]').fill('1 Lujiazui Rd, Pudong, Shanghai');
  await page.click('[data-testid="save-address"]');
  await expect(form.locator('.field-error[data-field="phone"]')).toBeVisible();
  await form.locator('input[data-name="phone"]').fill('+86 138 0013 8000');
  await page.click('[data-testid="save-address"]');
  await expect(page.locator('[data-testid="addresses"] li', { hasText: 'Lujiazui' }).locator('[data-testid="default"]')).toBeVisible();

  await page.goto('/catalog?q=QM-200G');
  await hydrated(page);
  await page.locator('[data-catalog-item] a').first().click();
  await page.waitForURL(/\/catalog\/\d+$/);
  await hydrated(page);
  await page.locator('tr[data-sku="QM-200G"] button[type="submit"]').click();
  await expect(page.locator('tr[data-sku="QM-200G"] [data-testid="added"]')).toBeVisible();
  await page.goto('/cart');
  await hydrated(page);
  // The default address fills the checkout.
  await expect(page.locator('textarea[data-name="address"]')).toHaveValue('1 Lujiazui Rd, Pudong, Shanghai');
  const option = page.locator('label[data-method="e2e-post-std"]');
  await expect(option).toContainText('E2E Post · Registered mail');
  await expect(option).toContainText('¥31.50');
  const goods = await page.locator('[data-testid="totals"] dd').first().innerText();
  await option.locator('input').check();
  const cents = (text: string) => Math.round(Number(text.replace(/[^\d.]/g, '')) * 100);
  await expect.poll(async () => cents(await page.locator('[data-testid="total"]').innerText())).toBe(cents(goods) + 3150);
  // Leave the cart as the other tests expect it.
  await page.locator('tr[data-sku="QM-200G"] [data-testid="remove"]').click();
  await expect(page.locator('[data-testid="cart-lines"] tr[data-sku="QM-200G"]')).toHaveCount(0);
});
