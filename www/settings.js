// Generated from crates/mdn-core/src/settings.rs by its tests
// (UPDATE_SETTINGS=1 cargo test --workspace --lib settings): do not edit.
// Every setting of each demo kind: name (attribute and URL parameter),
// about, allowed (the range in words, for messages), range
// ({kind: 'whole' | 'number' | 'choice', ...}) and display (true: it
// changes only what is shown, training goes on).
export const SETTINGS = {
  toy: [
    {
      name: 'data',
      about: 'The toy\'s data: the inverse sinusoid (y from x, up to five answers), the forward sinusoid (one answer, where the MDN and least squares agree), Bishop\'s toy problem inverted, or points you draw.',
      allowed: 'inverse, forward, bishop or draw',
      range: { kind: 'choice', choices: [{ name: 'inverse', aliases: [] }, { name: 'forward', aliases: [] }, { name: 'bishop', aliases: [] }, { name: 'draw', aliases: ['drawn', 'own'] }], default: 'inverse' },
      display: false,
    },
    {
      name: 'components',
      about: 'The number of Gaussians in the mixture the MDN outputs for each x.',
      allowed: 'a whole number from 1 to 32',
      range: { kind: 'whole', min: 1, max: 32, default: 24 },
      display: false,
    },
    {
      name: 'hidden-units',
      about: 'The number of tanh units in the hidden layer of both networks.',
      allowed: 'a whole number from 4 to 128',
      range: { kind: 'whole', min: 4, max: 128, default: 24 },
      display: false,
    },
    {
      name: 'learning-rate',
      about: 'The learning rate the MDN starts from (Adam\'s step size). Far too large a rate blows training up: the divergence guard then goes back to the last good model and lowers the rate tenfold, as often as it takes.',
      allowed: 'a number from 0.00001 to 1000',
      range: { kind: 'number', min: 0.00001, max: 1000, step: 0.0001, default: 0.001 },
      display: false,
    },
    {
      name: 'panels',
      about: 'Show what the MDN outputs: the density p(y | x) behind the data, every component\'s weight, mean and width, and the density at a clicked x. Off: the samples and the least-squares fit alone.',
      allowed: 'on or off',
      range: { kind: 'choice', choices: [{ name: 'on', aliases: ['yes', 'true'] }, { name: 'off', aliases: ['no', 'false'] }], default: 'on' },
      display: true,
    },
    {
      name: 'tau-pi',
      about: 'Mixture temperature: the weights π are softmax(logits / τπ). Below 1 the likeliest branch dominates, above 1 the branches even out.',
      allowed: 'a number from 0.05 to 2',
      range: { kind: 'number', min: 0.05, max: 2, step: 0.05, default: 1 },
      display: true,
    },
    {
      name: 'tau-sigma',
      about: 'Width temperature: every covariance is scaled by τσ. Below 1 samples hug the means, above 1 they spread.',
      allowed: 'a number from 0.05 to 2',
      range: { kind: 'number', min: 0.05, max: 2, step: 0.05, default: 1 },
      display: true,
    },
  ],
  paint: [
    {
      name: 'size',
      about: 'The painting\'s training size: the picture\'s longer side in pixels after downscaling.',
      allowed: 'a whole number from 8 to 1024',
      range: { kind: 'whole', min: 8, max: 1024, default: 128 },
      display: false,
    },
    {
      name: 'encoding',
      about: 'How the network sees a pixel\'s position: a learned multiresolution grid (sharp within seconds), Fourier features of (x, y), or the raw coordinates (a blur, as in the original MDN painting).',
      allowed: 'grid, fourier or raw',
      range: { kind: 'choice', choices: [{ name: 'grid', aliases: [] }, { name: 'fourier', aliases: [] }, { name: 'raw', aliases: [] }], default: 'grid' },
      display: false,
    },
    {
      name: 'covariance',
      about: 'The shape of each Gaussian over (R, G, B): one width for all three (isotropic), one per channel (diagonal), or a full 3 × 3 covariance.',
      allowed: 'isotropic, diagonal or full',
      range: { kind: 'choice', choices: [{ name: 'isotropic', aliases: ['iso'] }, { name: 'diagonal', aliases: ['diag'] }, { name: 'full', aliases: [] }], default: 'diagonal' },
      display: false,
    },
    {
      name: 'components',
      about: 'The number of Gaussians in each pixel\'s mixture.',
      allowed: 'a whole number from 1 to 32',
      range: { kind: 'whole', min: 1, max: 32, default: 8 },
      display: false,
    },
    {
      name: 'view',
      about: 'What the painting shows: each pixel\'s mode colour, the mean of its heaviest component (mode), the mixture\'s average colour (mean), one colour drawn from each pixel\'s mixture at the temperatures τπ and τσ (sample), or how unsure the model is (uncertainty, the predictive standard deviation).',
      allowed: 'mode, mean, sample or uncertainty',
      range: { kind: 'choice', choices: [{ name: 'mode', aliases: [] }, { name: 'mean', aliases: [] }, { name: 'sample', aliases: [] }, { name: 'uncertainty', aliases: [] }], default: 'mode' },
      display: true,
    },
    {
      name: 'tau-pi',
      about: 'Mixture temperature: the weights π are softmax(logits / τπ). Below 1 the likeliest branch dominates, above 1 the branches even out.',
      allowed: 'a number from 0.05 to 2',
      range: { kind: 'number', min: 0.05, max: 2, step: 0.05, default: 1 },
      display: true,
    },
    {
      name: 'tau-sigma',
      about: 'Width temperature: every covariance is scaled by τσ. Below 1 samples hug the means, above 1 they spread.',
      allowed: 'a number from 0.05 to 2',
      range: { kind: 'number', min: 0.05, max: 2, step: 0.05, default: 1 },
      display: true,
    },
  ],
};

// What a value may look like, per kind of range: its text is group 1
// (crates/mdn-core/src/settings.rs, PATTERNS).
export const PATTERNS = {
  whole: /^[ \t\r\n]*(\+?[0-9]+)[ \t\r\n]*$/,
  number: /^[ \t\r\n]*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[ \t\r\n]*$/,
  choice: /^[ \t\r\n]*([A-Za-z0-9-]+)[ \t\r\n]*$/,
};

// The limits of what a reader may give a demo.
export const LIMITS = {
  toyPoints: { min: 5, max: 5000 },
};
