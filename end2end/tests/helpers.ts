import { test as base, expect, Page } from '@playwright/test';

/**
 * Playwright's test, with a page that keeps what went wrong inside the browser: uncaught
 * errors (a panic in the WASM client leaves a page that ignores clicks) and console errors.
 * When a test fails they are attached to its report (the list reporter prints them) with the
 * messages the page was showing, so a failure seen once in CI says why.
 */
export const test = base.extend({
  page: async ({ page }, use, testInfo) => {
    const seen: string[] = [];
    page.on('pageerror', (e) => seen.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') seen.push(`console error: ${m.text()}`);
    });
    await use(page);
    if (testInfo.status !== testInfo.expectedStatus) {
      const shown = await page
        .locator('.form-error, .field-error')
        .allInnerTexts()
        .catch(() => [] as string[]);
      // Long lines are folded: a log viewer that cuts lines would hide where a hydration error
      // points (the component's file and line come at the end of the message).
      const fold = (line: string) => line.match(/.{1,100}/g)?.join('\n    ') ?? line;
      const report = [...seen, ...shown.map((t) => `message on the page: ${t}`), `at ${page.url()}`].map(fold).join('\n');
      await testInfo.attach('browser', { body: report, contentType: 'text/plain' });
    }
  },
});

export const PASSWORD = 'shopflow-demo';

/** Waits until the WASM client has hydrated the page: clicks before that are lost. */
export async function hydrated(page: Page) {
  await page.waitForSelector('body[data-hydrated="true"]', { timeout: 30_000 });
}

export async function signIn(page: Page, email: string, password = PASSWORD) {
  await page.goto('/login');
  await hydrated(page);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
  await page.waitForURL((url) => url.pathname !== '/login');
  await hydrated(page);
}

export async function signOut(page: Page) {
  // The button works once the client has hydrated; a click before that can be lost.
  await hydrated(page);
  await page.click('[data-testid="sign-out"]');
  await page.waitForURL('**/login');
}

/** The data-nav keys of the main navigation, in order. */
export async function navKeys(page: Page): Promise<string[]> {
  return page.locator('nav.mainnav [data-nav]').evaluateAll((els) => els.map((e) => e.getAttribute('data-nav') ?? ''));
}

export async function expectStatus(page: Page, path: string, status: number) {
  const res = await page.goto(path);
  expect(res?.status(), `${path}`).toBe(status);
}
