// Drives the plugin's real editors in headless Chromium (see harness.tsx): fills the settings
// page, switches query types, picks values from resource-fed selects, collects from a plugin
// now, and checks what the editors hand back, the resource requests, and that the page logged
// no error.
//
//   npm run test:browser      (builds the harness first)
//
// Needs Chromium at $CHROMIUM_PATH (default /usr/bin/chromium; Debian: apt-get install chromium).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { chromium } from 'playwright-core';

import { PLATFORM_RUN_ERROR, resourceAnswer } from './fixtures.mjs';
import { startHarnessServer } from './server.mjs';

/** The settings the filled form must save; the backend's tests read the same file. */
const SAVED_SETTINGS = JSON.parse(readFileSync(new URL('../fixtures/settings.json', import.meta.url), 'utf8'));

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const UID = 'cc-test-uid'; // src/testing/instanceSettings.ts

if (!existsSync(CHROMIUM)) {
  if (process.env.CI === 'true') {
    console.error(`FAIL: the browser test needs Chromium, and ${CHROMIUM} does not exist (CI=true).`);
  } else {
    console.error(
      `SKIPPED (counted as a failure): ${CHROMIUM} does not exist. Install Chromium ` +
        '(apt-get install chromium) or point CHROMIUM_PATH at one, then run npm run test:browser again.'
    );
  }
  process.exit(1);
}

let server;
let browser;
let page;
let shots;
const problems = [];

/** What the harness keeps on window (see harness.tsx). */
const state = () =>
  page.evaluate(() => ({
    options: window.__lastOptions,
    query: window.__lastQuery,
    changes: window.__changes,
    runs: window.__runs,
    variable: window.__lastVariableQuery,
  }));

/** Saves a screenshot of one section of the page (#config, #query, #variable), or of all of it. */
const screenshot = (name, section) => {
  const file = path.join(shots, `${name}.png`);
  return section ? page.locator(section).screenshot({ path: file }) : page.screenshot({ path: file, fullPage: true });
};

/** Clicks a switch: the label drawn next to its hidden checkbox. */
const toggle = (id) => page.locator(`[id="${id}"] + label`).click();

/** The option of the open select menu whose label is exactly this. */
const option = (label) => page.locator('[role="option"]').filter({ has: page.getByText(label, { exact: true }) });

/** Opens a select by its data-testid and picks the option with this label. */
async function pick(testId, label) {
  await page.getByTestId(`${testId}-input`).click();
  await option(label).click();
}

/**
 * Clicks a radio button (its transparent input lies over the label), then moves the mouse
 * away as a user would, so that the button's description tooltip closes.
 */
async function radio(id) {
  await page.locator(`[id="${id}"]`).click();
  await page.mouse.move(0, 0);
  await page.getByRole('tooltip').waitFor({ state: 'detached' });
}

/** Picks a query type. */
const queryType = (value) => radio(`option-${value}-cc-query-type`);

before(async () => {
  server = await startHarnessServer(UID);
  shots = await mkdtemp(path.join(os.tmpdir(), 'cc-browser-'));
  console.log(`screenshots: ${shots}`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(5000);
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(`console error: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
  page.on('response', (response) => {
    if (response.status() >= 400) {
      problems.push(`HTTP ${response.status()}: ${response.url()}`);
    }
  });
  await page.goto(server.url);
  await page.getByTestId('cc-config-editor').waitFor();
  await page.getByTestId('cc-query-editor').waitFor();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

describe('config editor', () => {
  it('starts with the stored token shown as configured', async () => {
    const token = page.getByTestId('cc-config-api-token');
    assert.equal(await token.inputValue(), 'configured');
    assert.equal(await token.isDisabled(), true);
    assert.equal(await page.getByTestId('cc-config-url').getAttribute('placeholder'), 'http://127.0.0.1:9464');
    assert.equal(await page.getByTestId('cc-config-tls-ca-cert').count(), 0);
    await screenshot('01-config-initial', '#config');
  });

  it('saves URL, timeout, a new token and the TLS settings', async () => {
    const { jsonData, secureJsonData } = SAVED_SETTINGS;
    await page.getByTestId('cc-config-url').fill(jsonData.url);
    await page.getByTestId('cc-config-timeout').fill(String(jsonData.timeout));
    await page.locator('#config').getByRole('button', { name: 'Reset' }).click();
    await page.getByTestId('cc-config-api-token').fill(secureJsonData.apiToken);
    await toggle('cc-config-tls-skip-verify');
    // The server name only counts with a CA certificate or a client certificate.
    assert.equal(await page.getByTestId('cc-config-tls-server-name').count(), 0);
    await toggle('cc-config-tls-with-ca-cert');
    await page.getByTestId('cc-config-tls-ca-cert').fill(secureJsonData.tlsCACert);
    await toggle('cc-config-tls-auth');
    await page.getByTestId('cc-config-tls-server-name').fill(jsonData.serverName);
    await page.getByTestId('cc-config-tls-client-cert').fill(secureJsonData.tlsClientCert);
    await page.getByTestId('cc-config-tls-client-key').fill(secureJsonData.tlsClientKey);
    await screenshot('02-config-filled', '#config');

    const { options } = await state();
    assert.deepEqual(options.jsonData, jsonData);
    assert.deepEqual(options.secureJsonData, secureJsonData);
    assert.deepEqual(options.secureJsonFields, { apiToken: false });
  });

  it('flags a URL that is not http(s)', async () => {
    await page.getByTestId('cc-config-url').fill('cc.example.com');
    await page.getByText('Not a valid URL, e.g. http://127.0.0.1:9464').waitFor();
    await screenshot('03-config-invalid-url', '#config');
    await page.getByTestId('cc-config-url').fill('http://127.0.0.1:9464');
    assert.equal((await state()).options.jsonData.url, 'http://127.0.0.1:9464');
  });
});

describe('query editor', () => {
  it('starts as a stats query and turns live', async () => {
    await screenshot('04-query-stats', '#query');
    await toggle('cc-query-live');
    const { query, runs } = await state();
    assert.deepEqual(query, { refId: 'A', queryType: 'stats', live: true });
    assert.equal(runs, 1);
  });

  it('builds an activity query from the kinds resource', async () => {
    await queryType('activity');
    assert.deepEqual((await state()).query, { refId: 'A', queryType: 'activity', limit: 100 });
    await pick('cc-query-kinds', 'payment.paid');
    await pick('cc-query-kinds', 'contract.signed');
    await page.getByTestId('cc-query-limit').fill('250');
    await page.getByTestId('cc-query-limit').press('Enter');
    await toggle('cc-query-live');
    await screenshot('05-query-activity', '#query');
    assert.deepEqual((await state()).query, {
      refId: 'A',
      queryType: 'activity',
      limit: 250,
      kinds: ['payment.paid', 'contract.signed'],
      live: true,
    });
  });

  it('builds a performance query from platforms, campaigns and a variable', async () => {
    await queryType('performance');
    assert.deepEqual((await state()).query, { refId: 'A', queryType: 'performance', metric: 'views', groupBy: 'platform' });
    await pick('cc-query-metric', 'cpm');
    await radio('option-campaign-cc-query-group-by');
    await pick('cc-query-platform', 'tiktok');
    await page.getByTestId('cc-query-campaign-input').click();
    for (const campaign of resourceAnswer('campaigns')) {
      await option(campaign.label).waitFor();
    }
    await screenshot('06-query-performance-campaign-menu');
    await option('$campaign').click();
    await page.getByTestId('cc-query-max-cpm').fill('8.25');
    await page.getByTestId('cc-query-max-cpm').press('Enter');
    await screenshot('07-query-performance', '#query');
    assert.deepEqual((await state()).query, {
      refId: 'A',
      queryType: 'performance',
      metric: 'cpm',
      groupBy: 'campaign',
      platform: 'tiktok',
      campaign: '$campaign',
      maxCpm: 8.25,
    });
  });

  it('accepts a platform typed by the user', async () => {
    await page.getByTestId('cc-query-platform-input').fill('snapchat');
    await page.getByTestId('cc-query-platform-input').press('Enter');
    assert.equal((await state()).query.platform, 'snapchat');
  });

  it('reloads the statuses when the entity type changes', async () => {
    await queryType('entities');
    await pick('cc-query-statuses', 'active');
    assert.deepEqual((await state()).query, {
      refId: 'A',
      queryType: 'entities',
      entityType: 'campaign',
      limit: 100,
      statuses: ['active'],
    });
    await pick('cc-query-entity-type', 'payment');
    assert.deepEqual((await state()).query, { refId: 'A', queryType: 'entities', entityType: 'payment', limit: 100 });
    await page.getByTestId('cc-query-statuses-input').click();
    const options = page.locator('[role="option"]');
    await option('cancelled').waitFor();
    assert.deepEqual(
      (await options.allTextContents()).filter((text) => !text.startsWith('$')),
      resourceAnswer('statuses', 'payment').map((status) => status.label)
    );
    await option('cancelled').click();
    await page.keyboard.press('Escape');
    await screenshot('08-query-entities', '#query');
    assert.deepEqual((await state()).query.statuses, ['cancelled']);

    const statusRequests = server.requests.filter((r) => r.name === 'statuses').map((r) => r.params.entityType);
    assert.deepEqual([...new Set(statusRequests)], ['campaign', 'payment']);
  });

  it('has no query fields for worklist and plugins', async () => {
    for (const type of ['worklist', 'plugins']) {
      await queryType(type);
      assert.deepEqual((await state()).query, { refId: 'A', queryType: type });
      assert.equal(await page.locator('[data-testid="cc-query-editor"] input:not([type="radio"])').count(), 0);
    }
    await screenshot('09-query-plugins', '#query');
  });

  it('ran the query after every change', async () => {
    const { changes, runs } = await state();
    // stats 1, activity 5, performance 6, typed platform 1, entities 4, worklist and plugins 2
    assert.equal(changes, 19);
    assert.equal(runs, changes);
  });

  it('collects from a plugin now, following the run until it ends, then runs the query', async () => {
    const { runs } = await state();
    const button = page.getByTestId('cc-collect-demo');
    const status = page.getByTestId('cc-collect-status-demo');
    await button.click();
    await status.getByText(/^Queued/).waitFor();
    assert.equal(await button.isDisabled(), true);
    assert.equal(await page.getByTestId('cc-collect-platform').isDisabled(), false);
    await screenshot('10-query-collect-queued', '#query');
    await status.getByText('Running…').waitFor();
    await status.getByText('Succeeded: 12 items of this tenant stored').waitFor();
    await screenshot('11-query-collect-succeeded', '#query');
    assert.equal(await button.isDisabled(), false);
    const after = await state();
    assert.equal(after.runs, runs + 1);
    assert.deepEqual(after.query, { refId: 'A', queryType: 'plugins' });
    const calls = server.requests.filter((r) => r.name.startsWith('plugins/')).map((r) => `${r.method} ${r.name}`);
    assert.deepEqual(calls, [
      'POST plugins/demo/collect',
      'GET plugins/demo/runs/run-1',
      'GET plugins/demo/runs/run-1',
    ]);
  });

  it("shows why a plugin's run failed", async () => {
    const { runs } = await state();
    await page.getByTestId('cc-collect-platform').click();
    await page.getByTestId('cc-collect-status-platform').getByText('Failed').waitFor();
    await page.getByTestId('cc-collect-error-platform').getByText(`The run failed: ${PLATFORM_RUN_ERROR}`).waitFor();
    await screenshot('12-query-collect-failed', '#query');
    assert.equal(await page.getByTestId('cc-collect-platform').isDisabled(), false);
    // The demo plugin's last run still shows beside it.
    await page.getByTestId('cc-collect-status-demo').getByText(/^Succeeded/).waitFor();
    assert.equal((await state()).runs, runs + 1);
  });
});

describe('variable query editor', () => {
  it('stores the resource and, for statuses, the entity type', async () => {
    await pick('cc-variable-resource', 'Statuses');
    await pick('cc-variable-entity-type', 'influencer');
    await screenshot('13-variable-statuses', '#variable');
    assert.deepEqual((await state()).variable, {
      refId: 'V',
      queryType: 'variable',
      resource: 'statuses',
      entityType: 'influencer',
    });
  });
});

describe('the page', () => {
  it('asked every list resource of this data source', () => {
    const lists = server.requests.filter((r) => !r.name.startsWith('plugins/'));
    const names = new Set(lists.map((r) => r.name));
    assert.deepEqual([...names].sort(), ['campaigns', 'entity-types', 'kinds', 'platforms', 'statuses']);
    assert.ok(server.requests.every((r) => r.datasourceUid === UID));
  });

  it('logged no error', () => {
    assert.deepEqual(problems, []);
  });
});
