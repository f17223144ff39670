// Full-page pictures of the explorable article
// (examples/mixture-density-networks.html), not a test: `npm run
// screenshot:article` (after `npm run build`) scrolls through it at 1280 px
// and at 390 px wide, letting each figure train a while in view (demos
// train only there), and writes tests/artifacts/article-1280.png and
// article-390.png, to be looked at. A tracked file is never written.
import fs from 'node:fs';
import path from 'node:path';
import { MINUTE, artifactsDir, launch, openPage, serveDist } from './helpers.mjs';

// How far each figure's demos train before the page moves on.
const TOY_STEPS = 400;
const PAINT_EPOCHS = 6;

// One demo at a time (on a phone a figure of three is taller than the
// screen), each scrolled into view until it has trained enough.
async function trainEachFigure(page) {
  const demos = await page.$$eval('figure[id] mdn-demo', (all) => all.map((d) => d.id));
  for (const id of demos) {
    await page.$eval(`#${id}`, (el) => el.scrollIntoView({ block: el.offsetHeight > innerHeight ? 'start' : 'center' }));
    if (id === 'drawn') await drawSomething(page);
    await page.waitForFunction(
      ([demo, steps, epochs]) => {
        const d = document.getElementById(demo);
        return d.getAttribute('kind') === 'toy' ? Number(d.dataset.step) >= steps : Number(d.dataset.epoch) >= epochs;
      },
      [id, TOY_STEPS, PAINT_EPOCHS],
      { timeout: 5 * MINUTE, polling: 500 },
    );
  }
}

// Two crossing strokes on figure 3's plot, once its demo waits for points.
async function drawSomething(page) {
  await page.waitForFunction(() => document.getElementById('drawn').dataset.points !== undefined, null, { timeout: 3 * MINUTE });
  if (Number(await page.getAttribute('#drawn', 'data-points')) > 0) return;
  const box = await page.locator('#drawn #toy-canvas').boundingBox();
  for (const [[x0, y0], [x1, y1]] of [
    [[0.15, 0.25], [0.85, 0.75]],
    [[0.15, 0.75], [0.85, 0.25]],
  ]) {
    await page.mouse.move(box.x + box.width * x0, box.y + box.height * y0);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * x1, box.y + box.height * y1, { steps: 40 });
    await page.mouse.up();
  }
}

const server = await serveDist();
const browser = await launch({ webgpu: false });
try {
  fs.mkdirSync(artifactsDir, { recursive: true });
  // `node tests/article-screenshots.mjs 390` takes one width.
  const sizes = [
    [1280, 900],
    [390, 844],
  ].filter(([w]) => process.argv.length < 3 || process.argv.slice(2).includes(String(w)));
  for (const [width, height] of sizes) {
    const { page, context, errors } = await openPage(browser, `${server.url}examples/mixture-density-networks.html?backend=cpu`, {
      viewport: { width, height },
      ready: null,
    });
    await trainEachFigure(page);
    // Figure 9 is left in view, training; the others show where they paused.
    const file = path.join(artifactsDir, `article-${width}.png`);
    await page.screenshot({ path: file, fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - innerWidth);
    console.log(`wrote ${path.relative(process.cwd(), file)} (horizontal overflow ${overflow} px)`);
    if (errors.length > 0) throw new Error(`the page reported errors: ${errors.join('; ')}`);
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
