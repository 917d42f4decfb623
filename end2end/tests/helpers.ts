import { expect, Page } from '@playwright/test';

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
