import { expect } from '@playwright/test';
import { hydrated, signIn, signOut, test } from './helpers';

/** A real 1×1 PNG, so the browser can draw it. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** Fills and sends one step form of the ticket page (its inputs are named `fields[<name>]`). */
async function step(page: import('@playwright/test').Page, action: string, fields: Record<string, string>, selects: Record<string, string> = {}) {
  // Occasional steps are folded away under their name.
  const folded = page.locator(`details[data-step="${action}"]`);
  if (await folded.count()) await folded.locator('summary').click();
  const box = page.locator(`.step[data-action="${action}"]`);
  for (const [name, value] of Object.entries(fields)) await box.locator(`[name="fields[${name}]"]`).fill(value);
  for (const [name, value] of Object.entries(selects)) await box.locator(`select[name="fields[${name}]"]`).selectOption(value);
  await box.locator(`button[data-testid="${action}"]`).click();
}

test('a complaint about an order: triage, a question to the warehouse, resolution, the survey', async ({ page }) => {
  test.setTimeout(120_000);
  // The customer complains about their shipped order, from the order page.
  await signIn(page, 'customer@shopflow.test');
  await page.goto('/my/orders');
  await hydrated(page);
  await page.locator('tr[data-order] a').first().click();
  await page.waitForURL(/\/my\/orders\/\d+$/);
  const orderId = new URL(page.url()).pathname.split('/').pop()!;
  await hydrated(page);
  await page.click('[data-testid="ask-about-order"]');
  await page.waitForURL(/\/my\/tickets\?order=/);
  await hydrated(page);
  await expect(page.locator('select[name="input[order]"]')).toHaveValue(orderId);
  // An empty message is refused where the customer is.
  await page.fill('input[name="input[subject]"]', 'The cup arrived broken');
  await page.click('[data-testid="send-ticket"]');
  await expect(page.locator('.field-error[data-field="message"]')).toBeVisible();
  await page.fill('textarea[name="input[message]"]', 'One of the cups was in pieces when I opened the parcel.');
  // A photo goes with it; a file over 10 MB is refused beside the picker.
  const input = page.locator('[data-testid="attach-input"]');
  await input.setInputFiles({ name: 'huge.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(10 * 1024 * 1024 + 1, 0xff) });
  await expect(page.locator('[data-testid="attachment-picker"] .field-error')).toContainText('huge.jpg');
  await input.setInputFiles({ name: 'broken-cup.png', mimeType: 'image/png', buffer: PNG });
  await expect(page.locator('[data-testid="attached"] li[data-attachment]')).toContainText('broken-cup.png');
  await page.click('[data-testid="send-ticket"]');
  await page.waitForURL(/\/my\/tickets\/\d+$/);
  const ticketId = new URL(page.url()).pathname.split('/').pop()!;
  await expect(page.locator('.page-head [data-state="new"]')).toBeVisible();
  await expect(page.locator('.message.customer [data-testid="attachments"] img[alt="broken-cup.png"]')).toBeVisible();
  await hydrated(page);
  await signOut(page);

  // The agent finds it in the queue, triages, notes, replies and asks the warehouse.
  await signIn(page, 'service@shopflow.test');
  await page.goto('/tickets');
  await expect(page.locator(`tr[data-ticket="${ticketId}"]`)).toBeVisible();
  await expect(page.locator(`tr[data-ticket="${ticketId}"] .badge[data-late]`)).toBeVisible();
  await page.goto(`/tickets/${ticketId}`);
  await hydrated(page);
  await expect(page.locator('[data-testid="history-orders"]')).toContainText(`#${orderId}`);
  // The desk sees the customer's photo, served as the picture it is.
  const photo = page.locator('.message.customer [data-testid="attachments"] img').first();
  await expect(photo).toBeVisible();
  expect(await photo.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1);
  await step(page, 'triage', {}, { kind: 'complaint', category: 'product', priority: 'urgent' });
  await expect(page.locator('.page-head [data-state="triaged"]')).toBeVisible();
  await step(page, 'start', {});
  await expect(page.locator('.page-head [data-state="in_progress"]')).toBeVisible();
  // A reply half-written when the agent takes another step is still there once the page has
  // loaded again; the note's own text is not kept.
  await page.locator('.step[data-action="reply"] textarea').fill('Sorry to hear that, we are on it.');
  await step(page, 'note', { note: 'Third breakage this week from the same station.' });
  await expect(page.locator('[data-internal="true"]')).toContainText('Third breakage');
  await hydrated(page);
  await expect(page.locator('.step[data-action="reply"] textarea')).toHaveValue('Sorry to hear that, we are on it.');
  await expect(page.locator('.step[data-action="note"] textarea')).toHaveValue('');
  // The reply starts from the knowledge base's canned reply instead.
  await page.fill('[data-testid="knowledge"] input[name="kb"]', 'damaged');
  await page.click('[data-testid="search-knowledge"]');
  await page.locator('[data-testid="knowledge"] li[data-kind="reply"] [data-testid="use-reply"]').first().click();
  await expect(page.locator('.step[data-action="reply"] textarea')).toHaveValue(/send us a photo/);
  await page.click('button[data-testid="reply"]');
  await expect(page.locator('.message.staff').last()).toContainText('send us a photo');
  await step(page, 'escalate', { question: 'How was the cup packed?' }, { to: 'warehouse' });
  await expect(page.locator('[data-testid="ticket-tasks"] [data-answered="false"]')).toBeVisible();
  await signOut(page);

  // The warehouse answers from its own queue.
  await signIn(page, 'warehouse@shopflow.test');
  await page.goto('/tasks');
  await hydrated(page);
  const task = page.locator('li.task', { hasText: 'How was the cup packed?' });
  await task.locator('textarea[name="answer"]').fill('Packed without bubble wrap; the station has been retrained.');
  await task.locator('button[type="submit"]').click();
  await expect(page.locator('li.task', { hasText: 'How was the cup packed?' }).locator('[data-testid="task-answer"]')).toBeVisible();
  await signOut(page);

  // The agent resolves it with the handbook's facts.
  await signIn(page, 'service@shopflow.test');
  await page.goto(`/tickets/${ticketId}`);
  await hydrated(page);
  await expect(page.locator('[data-testid="task-answer"]')).toContainText('retrained');
  await step(page, 'resolve', {
    problem: 'Cup broken: packed without bubble wrap',
    solution: 'A replacement cup is sent; the packing station retrained',
    customer_feedback: 'Customer accepts a replacement',
    message: 'A new cup is on its way, properly wrapped this time.',
  }, { root_cause: 'picking_error' });
  await expect(page.locator('.page-head [data-state="resolved"]')).toBeVisible();
  await expect(page.locator('[data-testid="root-cause"]')).toContainText('Wrong or missing item packed');
  await signOut(page);

  // The customer was told in the app: the bell counts, the list has the resolution, and
  // following it opens the ticket and marks it read.
  await signIn(page, 'customer@shopflow.test');
  await expect(page.locator('[data-testid="bell"] [data-testid="unread"]')).toBeVisible();
  await page.click('[data-testid="bell"]');
  await page.waitForURL('**/notifications');
  await hydrated(page);
  const resolvedNotice = page.locator('[data-testid="notifications"] li.notice.unread', { hasText: `#${ticketId} “The cup arrived broken” is resolved` });
  await expect(resolvedNotice).toBeVisible();
  await expect(page.locator('[data-testid="notifications"] li.notice', { hasText: `Customer service replied on your ticket #${ticketId}` })).toBeVisible();
  const noticeId = await resolvedNotice.getAttribute('data-notification');
  await resolvedNotice.locator('a').click();
  await page.waitForURL(new RegExp(`/my/tickets/${ticketId}$`));
  await hydrated(page);
  await page.goto('/notifications');
  await expect(page.locator(`li.notice[data-notification="${noticeId}"]`)).not.toHaveClass(/unread/);

  // The customer reads the replies, never the note, and rates the help once.
  await page.goto(`/my/tickets/${ticketId}`);
  await hydrated(page);
  await expect(page.locator('[data-testid="conversation"]')).toContainText('A new cup is on its way');
  await expect(page.locator('[data-testid="conversation"]')).toContainText('send us a photo');
  await expect(page.locator('[data-testid="conversation"]')).not.toContainText('Third breakage');
  await expect(page.locator('[data-testid="conversation"]')).not.toContainText('retrained');
  await expect(page.locator('[data-testid="solution"]')).toContainText('replacement cup');
  await page.click('[data-testid="send-survey"]');
  await expect(page.locator('.field-error[data-field="score"]')).toBeVisible();
  await page.check('input[name="input[score]"][value="5"]');
  await page.fill('textarea[name="input[comment]"]', 'Quick and kind.');
  await page.click('[data-testid="send-survey"]');
  await expect(page.locator('[data-testid="survey-done"]')).toContainText('★★★★★');
  await expect(page.locator('[data-testid="survey"]')).toHaveCount(0);
  await signOut(page);

  // The service dashboard counts it.
  await signIn(page, 'senior@shopflow.test');
  await page.goto('/tickets/dashboard');
  await expect(page.locator('[data-testid="root-causes"] [data-cause="picking_error"]')).toBeVisible();
  await expect(page.locator('[data-testid="survey-count"]')).toHaveText('1');
});

test('the survey link in the resolution mail records one answer without signing in', async ({ page, browser }) => {
  // The agent resolves the demo's open question; its mail carries the five links.
  await signIn(page, 'service@shopflow.test');
  const act = (body: object) => page.request.post('/api/act_on_ticket', { data: body });
  expect((await act({ id: 2, version: 1, action: 'triage', fields: { kind: 'inquiry', category: 'delivery', priority: 'normal' } })).status()).toBe(200);
  expect((await act({ id: 2, version: 2, action: 'start' })).status()).toBe(200);
  const resolved = await act({ id: 2, version: 3, action: 'resolve', fields: {
    problem: 'Asked whether we ship to Hong Kong', root_cause: 'customer_misunderstanding',
    solution: 'We ship to Hong Kong in 3 to 5 days', customer_feedback: 'Pleased', message: 'Yes, we ship to Hong Kong within 3 to 5 days.' } });
  expect(resolved.status(), await resolved.text()).toBe(200);
  await signOut(page);
  await signIn(page, 'admin@shopflow.test');
  await page.goto('/admin/outbox');
  const mail = (await page.locator('pre.mail-body', { hasText: 'Yes, we ship to Hong Kong' }).first().textContent()) ?? '';
  expect(mail).toContain('/survey/2-4-');
  const linkTo = (score: number) => new URL(mail.match(new RegExp(`https?://\\S+/survey/2-${score}-[0-9a-f]+`))![0]).pathname;
  const link = linkTo(4);
  await signOut(page);

  // Whoever holds the mail opens it in a fresh browser: nothing is recorded until they send.
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(link);
  await expect(visitor.locator('[data-testid="survey-score"]')).toHaveText('★★★★☆');
  await visitor.fill('textarea[name="comment"]', 'Quick and clear');
  await visitor.click('[data-testid="survey-link-form"] button[type="submit"]');
  await expect(visitor.locator('[data-testid="survey-message"]')).toContainText('Thank you');
  // Once: a second click is told so; a tampered link is not found.
  await visitor.goto(linkTo(5));
  await expect(visitor.locator('[data-testid="survey-message"]')).toContainText(/answered/);
  expect((await visitor.goto(link.slice(0, -1) + (link.endsWith('0') ? '1' : '0')))?.status()).toBe(404);
  await visitor.context().close();
});

test('an agent reports a late parcel from the customer\'s ticket; logistics is told where it came from', async ({ page }) => {
  // The demo's complaint about the shipped order.
  await signIn(page, 'service@shopflow.test');
  await page.goto('/tickets');
  const row = page.locator('tr[data-ticket]', { hasText: 'Where is my parcel?' });
  const ticketId = await row.getAttribute('data-ticket');
  await page.goto(`/tickets/${ticketId}`);
  await hydrated(page);
  const form = page.locator('[data-testid="exception-from-ticket"]');
  await form.locator('summary').click();
  await expect(form.locator('select[data-name="shipment"] option')).not.toHaveCount(0);
  // What is missing is refused beside its field, and what was typed stays.
  await form.locator('[data-testid="report-for-customer"]').click();
  await expect(form.locator('.field-error[data-field="kind"]')).toBeVisible();
  await form.locator('select[name="fields[kind]"]').selectOption('delay');
  await form.locator('textarea[name="fields[description]"]').fill('On the phone: the tracking has not moved for five days');
  await form.locator('[data-testid="report-for-customer"]').click();
  await expect(form.locator('.field-error[data-field="customer_note"]')).toBeVisible();
  await expect(form.locator('.field-error[data-field="kind"]')).toHaveCount(0);
  await form.locator('textarea[name="fields[customer_note]"]').fill('We have asked the carrier where your parcel is.');
  await form.locator('[data-testid="report-for-customer"]').click();

  // The ticket lists it with its state and notes it inside.
  const listed = page.locator('[data-testid="ticket-exceptions"] li[data-exception]');
  await expect(listed).toHaveCount(1);
  await expect(listed.locator('[data-state="reported"]')).toBeVisible();
  const exceptionId = await listed.getAttribute('data-exception');
  await expect(page.locator('[data-internal="true"]', { hasText: `Shipping exception #${exceptionId}` })).toBeVisible();
  // The exception on the order's page links back to the ticket.
  await listed.locator('a').click();
  await page.waitForURL(/\/orders\/\d+/);
  const article = page.locator(`article.exception[data-exception="${exceptionId}"]`);
  await expect(article.locator('[data-testid="exception-ticket"] a')).toHaveAttribute('href', `/tickets/${ticketId}`);
  await signOut(page);

  // Logistics hears of it, with the ticket's number, and works it on the order's page.
  await signIn(page, 'logistics@shopflow.test');
  await page.goto('/notifications');
  await expect(page.locator('[data-testid="notifications"]')).toContainText(`ticket #${ticketId}`);
  await page.goto('/exceptions');
  await expect(page.locator(`[data-testid="exception-list"] tr[data-exception="${exceptionId}"]`)).toBeVisible();
});
