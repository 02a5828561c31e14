// The HTML run report (issue 16), opened in a real headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core): the timeline and every task must be there, and a change's diff.
// Skips with a message when Chromium is not installed (.ci/run installs it when it can).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { HtmlReportWriter, TeeReporter } from '../../src/runner/report/html-reporter.js';
import { writeRunReport } from '../../src/runner/report/report-command.js';
import { kfup } from '../helpers/cli.js';
import { CollectingReporter, runTasks, tempDir } from '../helpers/run.js';
import { world } from '../helpers/probe.js';
import { testTasks } from '../helpers/registry.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`report.test: skipped, ${CHROMIUM} is absent (apt-get install -y chromium)`);

const tasks = [
  { name: 'make alpha', probe: { item: 'alpha' } },
  {
    name: 'both at once',
    parallel: [
      { name: 'make left', probe: { item: 'left', sleep_ms: 120 } },
      { name: 'make right', probe: { item: 'right', sleep_ms: 120 } },
    ],
  },
  { name: 'never', when: false, probe: { item: 'never' } },
  { name: 'make omega', probe: { item: 'omega', fail_times: 1 }, retries: 1, delay: '50ms' },
];
const names = ['make alpha', 'both at once', 'make left', 'make right', 'never', 'make omega'];

describe.skipIf(!hasChromium)('kfup report in a headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  beforeEach(() => world.reset());

  /** opens the file with the network cut off: the report must need nothing from outside */
  async function open(file: string) {
    const context = await browser.newContext({ offline: true, viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    const page = await context.newPage();
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href);
    return { page, context, requests };
  }

  it('a run, from its journal: timeline bars for every task, parallel tasks overlapping, statuses, the diff of a change', async () => {
    const { stateDir, result } = await runTasks({ tasks });
    const file = writeRunReport({ runId: 'last', stateDir, output: join(stateDir, 'report.html'), taskTypes: testTasks.names() });
    expect(result.runId && file).toBeTruthy();
    const { page, context, requests } = await open(file);
    expect(await page.locator('svg#timeline').count()).toBe(1);
    const rows = page.locator('svg#timeline g.row');
    expect(await rows.count()).toBe(names.length);
    const text = await page.locator('body').innerText();
    for (const n of names) expect(text).toContain(n);
    // each finished task has a bar with a width; the group a dashed outline
    const bar = async (key: string) => {
      const b = await page.locator(`svg#timeline g.row[data-key="${key}"] rect.bar`).boundingBox();
      if (!b) throw new Error(`no bar for task ${key}`);
      return b;
    };
    const [left, right] = [await bar('3'), await bar('4')];
    // side by side: the two parallel tasks overlap in time, on rows of their own
    expect(left.x < right.x + right.width && right.x < left.x + left.width).toBe(true);
    expect(left.y).not.toBe(right.y);
    expect(await page.locator('svg#timeline g.row[data-key="2"]').getAttribute('data-status')).toBe('changed');
    expect(await page.locator('svg#timeline g.row[data-key="5"]').getAttribute('data-status')).toBe('skipped');
    expect(await page.locator('#tasks tbody tr').count()).toBe(names.length);
    expect(await page.locator('#task-1 pre.diff').innerText()).toContain('+ item: alpha');
    expect(await page.locator('svg#timeline g.row[data-key="6"]').getAttribute('data-status')).toBe('changed');
    expect(requests).toEqual([]);
    if (process.env.KFUP_REPORT_SCREENSHOT) await page.screenshot({ path: process.env.KFUP_REPORT_SCREENSHOT, fullPage: true });
    await context.close();
  }, 60_000);

  it('a --check plan, from the run\'s events: what would change, with its diff, and secrets redacted', async () => {
    const dir = tempDir();
    const file = join(dir, 'plan.html');
    const collect = new CollectingReporter();
    await runTasks({
      dir,
      mode: 'check',
      vars: { token: 'hunter2-secret-value' },
      secrets: ['token'],
      tasks: [...tasks, { name: 'with a secret', probe: { item: 'key-{{token}}' } }],
      reporter: new TeeReporter(collect, new HtmlReportWriter(file)),
    });
    expect(readFileSync(file, 'utf8')).not.toContain('hunter2-secret-value');
    const { page, context, requests } = await open(file);
    expect(await page.locator('header h1').innerText()).toContain('plan');
    expect(await page.locator('svg#timeline g.row').count()).toBe(names.length + 1);
    const text = await page.locator('body').innerText();
    for (const n of names) expect(text).toContain(n);
    expect(await page.locator('#task-1 pre.diff').innerText()).toContain('+ item: alpha');
    expect(await page.locator('svg#timeline g.row[data-key="1"]').getAttribute('data-status')).toBe('changed');
    // the retried task shows both attempts (the events know them)
    expect(await page.locator('#task-6 .where').innerText()).toContain('2 attempts');
    expect(requests).toEqual([]);
    await context.close();
  }, 60_000);
});

// The commands through the built CLI (run `npm run build` first), with built-in task types: the
// template type's text diff, in a parallel group. The browser checks are above; here the files.
describe('kfup report and kfup run --report (built CLI)', () => {
  const playbookText = [
    'name: report playbook',
    'tasks:',
    '  - name: notices',
    '    parallel:',
    '      - name: write one',
    '        template: { content: "hello {{greeting}}\\n", dest: out/one.txt }',
    '      - name: write two',
    '        template: { content: "second\\n", dest: out/two.txt }',
    '  - name: check it',
    '    assert: { that: ["{{ne greeting \'\'}}"] }',
    'vars:',
    '  greeting: world',
    '',
  ].join('\n');
  const taskNames = ['notices', 'write one', 'write two', 'check it'];

  it('run --check --report writes the plan, then report last writes the journaled run, each with the timeline and every task', async () => {
    const dir = tempDir('kfup-report-cli-');
    const playbook = join(dir, 'report.yaml');
    writeFileSync(playbook, playbookText);
    const check = await kfup(['run', playbook, '--check', '--report', 'plan.html'], { cwd: dir });
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    const plan = readFileSync(join(dir, 'plan.html'), 'utf8');
    expect(plan).toContain('<svg id="timeline"');
    expect(plan).toContain('kfup plan: report playbook');
    for (const n of taskNames) expect(plan).toContain(`${n}</a>`);
    expect(plan).toContain('+hello world');
    // self-contained: nothing to fetch (the SVG namespace is a name, not a request)
    expect(plan.replace('xmlns="http://www.w3.org/2000/svg"', '')).not.toMatch(/\b(src|href)="(https?:)?\/\//);

    const run = await kfup(['run', playbook, '--yes'], { cwd: dir });
    expect(run.code).toBe(0);
    const rep = await kfup(['report', 'last', playbook, '--output', 'run.html'], { cwd: dir });
    expect(rep.stderr).toBe('');
    expect(rep.code).toBe(0);
    expect(rep.stdout).toContain('run.html');
    const html = readFileSync(join(dir, 'run.html'), 'utf8');
    expect(html).toContain('<svg id="timeline"');
    for (const n of taskNames) expect(html).toContain(`${n}</a>`);
    expect(html).toContain('+hello world');
    expect(html).toMatch(/<g class="row" data-key="1" data-status="changed">/);
  }, 120_000);

  it('report of an unknown run is invalid input with a hint', async () => {
    const dir = tempDir('kfup-report-cli-');
    const r = await kfup(['report', 'nope', '--state-dir', join(dir, '.kfup')], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no run "nope"/);
    // never the current directory's .kfup implicitly (issue 15): the playbook or --state-dir says where
    const bare = await kfup(['report', 'last'], { cwd: dir, env: { KFUP_STATE_DIR: '' } });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/no state directory: pass the playbook, --state-dir DIR or set KFUP_STATE_DIR/);
  });
});
