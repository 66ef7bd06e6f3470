// html is htm bound to Preact's h: components write markup as tagged
// template literals instead of JSX, so the browser runs the source as is.
import { h } from '../vendor/preact.mjs';
import htm from '../vendor/htm.mjs';

export const html = htm.bind(h);
