// The iframe view (embed.html): one <mdn-demo> built from the URL's
// parameters (kind plus every setting attribute), nothing else on the page.
import './mdn-demo.js';
import { applyUrl, keepInUrl } from './url-state.js';

const params = new URLSearchParams(location.search);
const demo = document.createElement('mdn-demo');
demo.setAttribute('kind', params.get('kind') || 'toy');
applyUrl([demo], params);
document.body.append(demo);
keepInUrl([demo]);
