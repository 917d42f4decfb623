import { defineConfig } from '@playwright/test';
import * as os from 'os';
import * as path from 'path';

// One server with the demo data on a fresh SQLite file, started from the debug build that
// scripts/test.sh made. Tests run one at a time: they share that server and two cores.
const port = Number(process.env.SHOPFLOW_E2E_PORT ?? 3107);
const dbFile = path.join(os.tmpdir(), `shopflow-e2e-${process.pid}-${Date.now()}.db`);
const mediaDir = path.join(os.tmpdir(), `shopflow-e2e-media-${process.pid}-${Date.now()}`);

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: '../target/debug/shopflow --demo',
    url: `http://127.0.0.1:${port}/healthz`,
    timeout: 120_000,
    reuseExistingServer: false,
    // Only warnings and errors (RUST_LOG below), printed beside the test that caused them.
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATABASE_URL: `sqlite://${dbFile}`,
      SHOPFLOW_MEDIA_DIR: mediaDir,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: '../target/site',
      LEPTOS_OUTPUT_NAME: 'shopflow',
      RUST_LOG: 'warn',
      // Parcels move a stage every two seconds, so tracking arrives within a test.
      SHOPFLOW_CARRIER_STEP_SECONDS: '2',
      // Orders above 2,000.00 wait for a clerk: the bulk-confirm test needs a few, and the
      // demo's stock, shared by every test, cannot give it orders above the default 5,000.00.
      SHOPFLOW_ORDER_REVIEW_ABOVE: '2000.00',
    },
  },
});
