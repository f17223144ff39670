// The models' settings on the page (issue 3): every covariance kind paints
// coffee.png better after 20 epochs than after 1, switching kind restarts
// the painting on the same picture, the toy's sampling temperatures change
// the plotted samples, and a recovery from a non-finite loss is reported
// without a NaN reaching the page. Small pictures and the CPU backend keep it
// quick.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MINUTE, numberAttr, openPage, serveAndLaunch, waitForAttr } from './helpers.mjs';

const DEMO = 'mdn-demo';

// Keeps every mdn-progress event's detail (polling could miss an epoch).
function recordProgress() {
  window.__progress = [];
  document.addEventListener('mdn-progress', (e) => window.__progress.push(e.detail));
}

describe('settings', () => {
  const env = serveAndLaunch({ webgpu: false });

  // From epoch 1 to 20 natively over seeds 0–39, coffee's mode PSNR rose by
  // 6.31–16.79 dB (isotropic), 11.38–19.20 (diagonal) and 8.58–19.55 (full)
  // ("coffee-*" of crates/mdn-core/examples/floors.rs).
  test('isotropic, diagonal and full covariance each improve the painting from epoch 1 to 20', async (t) => {
    const url = `${env.server.url}embed.html?kind=paint&src=/test-images/coffee.png&size=128&covariance=isotropic&backend=cpu`;
    const { page, context, errors } = await openPage(env.browser, url, { ready: DEMO, initScript: recordProgress });
    for (const [i, covariance] of ['isotropic', 'diagonal', 'full'].entries()) {
      // The first kind comes from the URL, the others from the selector.
      if (i > 0) await page.selectOption('#paint-covariance', covariance);
      // The painting restarts with it, or the demo says why it cannot.
      const started = await page.waitForFunction(
        (c) => {
          const demo = document.querySelector('mdn-demo');
          const message = demo.shadowRoot.getElementById('paint-message');
          if (demo.dataset.covariance === c) return { ok: true };
          return !message.hidden && { ok: false, message: message.textContent };
        },
        covariance,
        { timeout: 2 * MINUTE, polling: 100 },
      );
      const outcome = await started.jsonValue();
      assert.ok(outcome.ok, `${covariance}: ${outcome.message}`);
      assert.equal(await page.getAttribute(DEMO, 'data-image'), 'coffee.png', 'the same picture');
      assert.equal(new URL(page.url()).searchParams.get('covariance'), covariance, 'kept in the URL');
      await waitForAttr(page, DEMO, 'data-epoch', (v) => Number(v) >= 20, { timeout: 6 * MINUTE });
      // Only this painting's epochs: the data-covariance check above saw it start.
      const epochs = await page.evaluate(
        (c) => window.__progress.filter((d) => d.covariance === c && d.psnr !== undefined),
        covariance,
      );
      const psnrAt = (n) => epochs.find((d) => d.epoch === n)?.psnr;
      t.diagnostic(`${covariance}: PSNR ${psnrAt(1)} dB at epoch 1, ${psnrAt(20)} dB at epoch 20`);
      assert.ok(Number.isFinite(psnrAt(1)), `${covariance}: epoch 1 reported`);
      assert.ok(
        psnrAt(20) > psnrAt(1) + 5,
        `${covariance}: PSNR at epoch 20 (${psnrAt(20)} dB), at epoch 1 (${psnrAt(1)} dB)`,
      );
      assert.ok(await page.isHidden('#paint-message'), `${covariance}: no error`);
    }
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 20 * MINUTE });

  test('the temperature τσ changes the plotted samples', async (t) => {
    const url = `${env.server.url}embed.html?kind=toy&backend=cpu`;
    const { page, context, errors } = await openPage(env.browser, url, { ready: DEMO });
    await waitForAttr(page, DEMO, 'data-step', (v) => Number(v) >= 1000, { timeout: 5 * MINUTE });

    // Area of the scatter plot covered by sample dots (orange pixels), once
    // two more snapshots (drawn with the setting) have arrived.
    async function sampleArea() {
      const step = await numberAttr(page, DEMO, 'data-step');
      const next = Number(await waitForAttr(page, DEMO, 'data-step', (v, s) => Number(v) > s, { arg: step }));
      await waitForAttr(page, DEMO, 'data-step', (v, s) => Number(v) > s, { arg: next });
      return page.$eval('#toy-canvas', async (canvas) => {
        await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        // Drawn in the plot worker (www/plot-link.js): read from a copy.
        const copy = Object.assign(document.createElement('canvas'), { width: canvas.width, height: canvas.height }).getContext('2d');
        copy.drawImage(canvas, 0, 0);
        const { data } = copy.getImageData(0, 0, canvas.width, canvas.height);
        let orange = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i] > 180 && data[i] - data[i + 2] > 90 && data[i + 1] < 180) orange += 1;
        }
        return orange;
      });
    }

    // The samples alone: the density's purple behind them would tint them.
    await page.uncheck('#toy-layer-density');
    await page.fill('#toy-tau-sigma', '2');
    const wide = await sampleArea();
    await page.fill('#toy-tau-sigma', '0.05');
    const narrow = await sampleArea();
    t.diagnostic(`sample area: ${wide} px at τσ = 2, ${narrow} px at τσ = 0.05`);
    // Narrow Gaussians put the 10 samples per x on top of each other at the
    // branches' means; wide ones scatter them.
    assert.ok(wide > 1.3 * narrow, `sample area: ${wide} px at τσ = 2, ${narrow} px at τσ = 0.05`);
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 8 * MINUTE });

  test('a recovered divergence is reported, and a non-finite NLL is never shown as a number', async () => {
    // The trainer recovers by itself (restores the last good parameters,
    // lowers the learning rate) and says so in its snapshot; a healthy run
    // never does, so this stands in for the worker: its fifth toy snapshot
    // reports a NaN loss, a NaN sample and a recovery. The message's name is
    // the protocol's (www/protocol.js, loaded by the page before any worker
    // message arrives).
    function divergeOnce() {
      const Native = window.Worker;
      window.Worker = class extends Native {
        set onmessage(handler) {
          let snapshots = 0;
          super.onmessage = (event) => {
            const msg = event.data;
            if (msg.type === window.MdnProtocol.TOY_SNAPSHOT && ++snapshots === 5) {
              msg.samples[0] = NaN;
              const recovery = 'training diverged at step 5; learning rate lowered to 0.0005';
              handler({ data: { ...msg, nll: NaN, recovery } });
            } else {
              handler(event);
            }
          };
        }
      };
      window.__nll = [];
      document.addEventListener('mdn-progress', (e) => window.__nll.push(e.detail.nll));
    }
    const url = `${env.server.url}embed.html?kind=toy&backend=cpu`;
    const { page, context, errors } = await openPage(env.browser, url, { ready: DEMO, initScript: divergeOnce });
    const recovery = await waitForAttr(page, DEMO, 'data-recovery', (v) => v !== null, { timeout: 3 * MINUTE });
    assert.equal(recovery, 'training diverged at step 5; learning rate lowered to 0.0005');
    assert.ok(await page.isVisible('#toy-recovery'));
    assert.equal(await page.textContent('#toy-recovery'), recovery);
    // Training goes on, and the published NLL stayed a finite number throughout.
    await waitForAttr(page, DEMO, 'data-step', (v) => Number(v) >= 200, { timeout: 3 * MINUTE });
    const published = await page.evaluate(() => window.__nll.filter((v) => v !== undefined));
    assert.ok(published.length > 5 && published.every(Number.isFinite), JSON.stringify(published.slice(0, 10)));
    assert.deepEqual(errors, []);
    await context.close();
  }, { timeout: 6 * MINUTE });
});
