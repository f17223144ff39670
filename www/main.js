// The demo page (index.html): its two demos are the same <mdn-demo> elements
// a blog post uses (www/mdn-demo.js); the page adds only what belongs to a
// whole page: its set-up in the URL, and not navigating away to a file
// dropped beside the painting demo.
import './mdn-demo.js';
import { applyUrl, keepInUrl } from './url-state.js';

const demos = [...document.querySelectorAll('mdn-demo')];
applyUrl(demos);
keepInUrl(demos);

// Dropping a file on the painting demo paints it; anywhere else on the page
// the browser must not open the file in place of the page.
window.addEventListener('dragover', (e) => e.preventDefault());
window.addEventListener('drop', (e) => e.preventDefault());
