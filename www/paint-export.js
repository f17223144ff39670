// Taking the painting home: Save PNG (the shown view, upscaled if asked),
// the recording (one captioned frame per epoch) and the model file's name.

import { download, recordingUnsupported, savePng, startRecording } from './export.js';

export class PaintExport {
  recording = null; // {video (startRecording's), name} while recording

  // `paint`: {controls, drawing, life, progress}, the painting's other parts.
  constructor(paint) {
    this.paint = paint;
    const { $ } = paint.controls;
    this.saveButton = $('paint-save');
    this.recordButton = $('paint-record');
    this.recordStatus = $('paint-record-status');
    this.saveModelButton = $('paint-save-model');
    this.cannotRecord = recordingUnsupported();
    if (this.cannotRecord) {
      this.recordButton.title = `Recording needs WebCodecs: ${this.cannotRecord}.`;
      this.recordStatus.textContent = `No video: ${this.cannotRecord}.`;
    }
    this.saveButton.addEventListener('click', () => this.savePng());
    this.recordButton.addEventListener('click', () => this.toggleRecording());
    paint.life.bindModelSave(this.saveModelButton, {
      fileName: () => {
        const picture = paint.drawing.running?.name || 'painting';
        return ({ epoch }) => modelName(picture, epoch);
      },
      onError: (text) => paint.controls.showError(text),
    });
  }

  // The file name of what is saved: the picture's name, the view, the epoch.
  baseName() {
    const { running, lastRepaint } = this.paint.drawing;
    return `${(running?.name || 'painting').replace(/\.[^.]*$/, '')}-${this.paint.controls.view.name}-epoch${lastRepaint?.epoch ?? 0}`;
  }

  savePng() {
    const { $ } = this.paint.controls;
    const scale = Number($('paint-scale').value);
    savePng($('paint-repaint'), `${this.baseName()}${scale > 1 ? `-x${scale}` : ''}.png`, {
      scale,
      smoothing: $('paint-smoothing').value,
    }).catch((e) => this.paint.controls.showError(`Could not save the PNG: ${e.message}`));
  }

  // A new painting: nothing to save as a PNG until its first repaint.
  newPainting() {
    // A video is of one painting: a new one ends it.
    if (this.recording) this.stopRecording();
    this.recordButton.disabled = Boolean(this.cannotRecord);
    this.saveButton.disabled = true;
    this.saveModelButton.disabled = false;
  }

  async stopRecording() {
    const { video, name } = this.recording;
    this.recording = null;
    this.recordButton.textContent = 'Record video';
    this.#say(`saving ${video.frames} frames…`);
    try {
      const [blob, extension] = await Promise.all([video.stop(), video.ready]);
      download(blob, `${name}.${extension}`);
      this.#say(`saved ${name}.${extension}: ${video.frames} frames`);
    } catch (e) {
      this.#say(`No video: ${e.message}.`);
    }
    this.paint.progress({ recording: null, recordedFrames: video.frames });
  }

  toggleRecording() {
    if (this.recording) {
      this.stopRecording();
      return;
    }
    const { running } = this.paint.drawing;
    if (!running) return;
    const video = startRecording(running.width, running.height);
    this.recording = { video, name: `${this.baseName()}` };
    this.recordButton.textContent = 'Stop and save video';
    this.#say('recording: one frame per epoch');
    this.paint.progress({ recording: 'on', recordedFrames: 0 });
    // No encoder for any format: said now, not after a recording's worth
    // of epochs.
    video.ready.catch((e) => {
      if (this.recording?.video !== video) return;
      this.recording = null;
      this.recordButton.textContent = 'Record video';
      this.#say(`No video: ${e.message}.`);
      this.paint.progress({ recording: null, recordedFrames: 0 });
    });
  }

  // A change of the recording's state, said to a screen reader too (the
  // frame count, which grows every epoch, is only shown).
  #say(text) {
    this.recordStatus.textContent = text;
    this.paint.controls.announce(text);
  }

  // The repaint of epoch `msg` as the recording's next frame, if recording.
  frame(msg, canvas) {
    if (!this.recording) return;
    const psnr = Number.isFinite(msg.psnr) ? `${msg.psnr.toFixed(2)} dB` : 'not finite';
    const { video } = this.recording;
    video.frame(canvas, `epoch ${msg.epoch} · PSNR ${psnr} (mode) · ${this.paint.controls.view.name}`);
    this.recordStatus.textContent = `recording: ${video.frames} frames`;
    this.paint.progress({ recordedFrames: video.frames });
  }
}

// The model file's name: the picture's (without an earlier file's
// epoch) and the epoch it was saved at.
const modelName = (picture, epoch) =>
  `${picture.replace(/\.[^.]*$/, '').replace(/-epoch\d+$/, '')}-epoch${epoch}.mdn`;
