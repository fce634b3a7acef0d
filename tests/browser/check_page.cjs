// Loads one gpufleet page (an HTML report, or the dashboard of `gpufleet serve`) in Debian's
// headless chromium through puppeteer-core (web/node_modules), and prints what a test must check,
// as JSON on stdout:
//   {"console": [messages the page logged as errors or warnings, uncaught exceptions, failed
//                requests], "ready": bool, "plots": [{"id", "canvases", "colored"}],
//    "values": {KEY: TEXT of every element with data-value="KEY"}, "rows": {TABLE: N}}
// "colored" counts the canvas pixels that are neither grey nor transparent: axes, grid and text
// are drawn in greys, every series in a colour of the palette, so a plot with colored > 0 drew
// data. Exit status 0 when the page loaded (the test judges the rest), 2 on a usage error, 1 when
// the browser could not be driven.
//
// Usage: node check_page.cjs --url URL --screenshot FILE [--token TOKEN] [--ready SELECTOR]
//        [--chromium PATH]
// --token types TOKEN into the page's token form (the dashboard's), as a person would.
'use strict';
const path = require('path');

function parseArgs(argv) {
  const args = {chromium: '/usr/bin/chromium', ready: 'body[data-ready]'};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '');
    if (!['url', 'screenshot', 'token', 'ready', 'chromium'].includes(name) || i + 1 >= argv.length) {
      process.stderr.write('check_page: unknown or incomplete argument ' + argv[i] + '\n');
      process.exit(2);
    }
    args[name] = argv[i + 1];
  }
  if (!args.url || !args.screenshot) {
    process.stderr.write('check_page: --url and --screenshot are required\n');
    process.exit(2);
  }
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const puppeteer = require(path.join(__dirname, '..', '..', 'web', 'node_modules', 'puppeteer-core'));
  const browser = await puppeteer.launch({
    executablePath: args.chromium,
    headless: true,
    // Chromium refuses its sandbox as root (CI); these pages are our own.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const out = {console: [], ready: false, plots: [], values: {}, rows: {}};
  try {
    const page = await browser.newPage();
    await page.setViewport({width: 1200, height: 900});
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warn') out.console.push(m.type() + ': ' + m.text());
    });
    page.on('pageerror', (e) => out.console.push('uncaught: ' + e.message));
    page.on('requestfailed', (r) => {
      // A long poll the page abandons when it closes is not a failure of the page.
      if (!/net::ERR_ABORTED/.test(r.failure().errorText)) {
        out.console.push('request failed: ' + r.url() + ' ' + r.failure().errorText);
      }
    });
    await page.goto(args.url, {waitUntil: 'load', timeout: 60000});
    if (args.token) {
      await page.waitForSelector('#token', {timeout: 30000});
      await page.type('#token', args.token);
      await page.click('#sign-in');
    }
    try {
      await page.waitForSelector(args.ready, {timeout: 60000});
      out.ready = true;
    } catch (e) {
      out.console.push('not ready: ' + args.ready + ' did not appear within 60 s');
    }
    Object.assign(out, await page.evaluate(() => {
      const colored = (canvas) => {
        const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4) {
          const hi = Math.max(px[i], px[i + 1], px[i + 2]);
          const lo = Math.min(px[i], px[i + 1], px[i + 2]);
          if (px[i + 3] > 0 && hi - lo > 40) ++n;
        }
        return n;
      };
      const plots = [...document.querySelectorAll('section.plot')].map((s) => ({
        id: s.id,
        canvases: s.querySelectorAll('canvas').length,
        colored: [...s.querySelectorAll('canvas')].reduce((sum, c) => sum + colored(c), 0),
      }));
      const values = {};
      for (const e of document.querySelectorAll('[data-value]')) values[e.dataset.value] = e.textContent;
      const rows = {};
      for (const t of document.querySelectorAll('table[id]')) rows[t.id] = t.tBodies[0] ? t.tBodies[0].rows.length : 0;
      return {plots, values, rows};
    }));
    await page.screenshot({path: args.screenshot, fullPage: true});
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write('check_page: ' + (e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
