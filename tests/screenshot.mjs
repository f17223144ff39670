// README's picture of the page, not a test: `npm run screenshot` (after
// `trunk build --release`) opens the demo page with both demos in view,
// lets them train (the toy's branches learnt, the painting sharp) and
// writes docs/screenshot.png. The tests never write it: a test run leaves
// every tracked file as it was.
import path from 'node:path';
import { launch, openPage, repoRoot, serveDist, waitForAttr } from './helpers.mjs';

const MINUTE = 60_000;
const server = await serveDist();
const browser = await launch({ webgpu: true });
try {
  // Tall enough that both demos are in view: a demo trains only while it is.
  const { page, errors } = await openPage(browser, server.url, { viewport: { width: 1280, height: 2200 } });
  await waitForAttr(page, '#toy', 'data-step', (v) => Number(v) >= 1500, { timeout: 5 * MINUTE });
  await waitForAttr(page, '#paint', 'data-epoch', (v) => Number(v) >= 20, { timeout: 5 * MINUTE });
  if (errors.length > 0) throw new Error(`the page reported errors: ${errors.join('; ')}`);
  // The viewport is taller than the page: cut the picture at its end.
  const height = await page.evaluate(() => Math.ceil(document.body.getBoundingClientRect().bottom));
  const file = path.join(repoRoot, 'docs', 'screenshot.png');
  await page.screenshot({ path: file, clip: { x: 0, y: 0, width: 1280, height: Math.min(height, 2200) } });
  console.log(`wrote ${path.relative(repoRoot, file)}`);
} finally {
  await browser.close();
  await server.close();
}
