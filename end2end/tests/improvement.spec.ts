import { expect } from '@playwright/test';
import { hydrated, signIn, signOut, test } from './helpers';

test('an improvement suggestion runs end to end through the browser', async ({ page }) => {
  await signIn(page, 'warehouse@shopflow.test');
  await page.goto('/improvement/new');
  await hydrated(page);
  await page.fill('[name="fields[title]"]', 'Label returns shelves by reason');
  await page.selectOption('[name="fields[department]"]', 'warehouse');
  await page.fill('[name="fields[step]"]', 'Returns inspection');
  await page.fill('[name="fields[problem]"]', 'Returned goods wait mixed on one shelf; inspectors sort them twice.');
  await page.fill('[name="fields[proposal]"]', 'One shelf per return reason, labelled.');
  await page.click('button[type="submit"]');
  await page.waitForURL(/\/improvement\/\d+$/);
  const url = page.url();
  await expect(page.locator('.page-head [data-state="submitted"]')).toBeVisible();
  // The submitter may not review their own suggestion: no step forms.
  await expect(page.locator('form.step')).toHaveCount(0);
  await signOut(page);

  await signIn(page, 'ops@shopflow.test');
  await page.goto(url);
  await hydrated(page);
  // Rejecting without a reason is refused where the user is.
  const reject = page.locator('form.step[data-action="reject"]');
  await reject.evaluate((f: HTMLFormElement) => (f.noValidate = true));
  await reject.locator('button[type="submit"]').click();
  await expect(page.locator('.field-error[data-field="reason"]')).toBeVisible();

  await page.locator('form.step[data-action="accept"] textarea').fill('Cheap, and inspection is our bottleneck.');
  await page.locator('form.step[data-action="accept"] button[type="submit"]').click();
  await expect(page.locator('.page-head [data-state="accepted"]')).toBeVisible();

  await page.locator('form.step[data-action="assign"] select').selectOption({ label: 'Wang Wei (warehouse)' });
  await page.locator('form.step[data-action="assign"] button[type="submit"]').click();
  await expect(page.locator('.page-head [data-state="assigned"]')).toBeVisible();
  await expect(page.locator('[data-testid="owner"]')).toHaveText('Wang Wei (warehouse)');

  await page.locator('form.step[data-action="implement"] textarea').fill('Shelves R1-R4 labelled; SOP updated.');
  await page.locator('form.step[data-action="implement"] button[type="submit"]').click();
  await expect(page.locator('.page-head [data-state="implemented"]')).toBeVisible();
  await expect(page.locator('.timeline .event')).toHaveCount(4);
  await expect(page.locator('.timeline .event').last()).toContainText('Shelves R1-R4 labelled');
  await signOut(page);

  await signIn(page, 'warehouse@shopflow.test');
  await page.goto(url);
  await expect(page.locator('.page-head [data-state="implemented"]')).toBeVisible();
});

test('the list filters by state, and the filter is in the address', async ({ page }) => {
  await signIn(page, 'ops@shopflow.test');
  await page.goto('/improvement');
  const rows = page.locator('tr[data-suggestion]');
  const before = await rows.count();
  expect(before).toBeGreaterThan(1);
  await page.selectOption('.filters select', 'rejected');
  await page.click('.filters button[type="submit"]');
  await page.waitForURL(/state=rejected/);
  await expect(rows).toHaveCount(1);
  await expect(page.locator('.filters select')).toHaveValue('rejected');
  await expect(rows.first().locator('[data-state="rejected"]')).toBeVisible();
});

test('the interface switches between English and Chinese and remembers it', async ({ page }) => {
  await signIn(page, 'service@shopflow.test');
  await expect(page.locator('h1')).toHaveText('My work');
  await page.click('[data-testid="lang-switch"]');
  await expect(page.locator('h1')).toHaveText('我的工作台');
  await page.goto('/improvement/sop');
  await expect(page.locator('.sop-doc h1')).toContainText('改进建议');
  // The switch works once the page has hydrated; a click before that can be lost.
  await hydrated(page);
  await page.click('[data-testid="lang-switch"]');
  await expect(page.locator('h1')).toHaveText(/SOP/);
});
